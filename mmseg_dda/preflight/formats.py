"""File formats on a sample (or every file): the datasets' own readers.

Each entry is read by the loading transforms of the dataset's own pipeline
(everything up to its last ``Load*`` transform: ``LoadImageFromFile``,
``LoadMappedAnnotations`` with :func:`~mmseg_dda.datasets.formats.labels.
read_label_image`, ``LoadInverseDepth`` with :func:`~mmseg_dda.datasets.
formats.synthia.read_synthia_depth`, ``LoadSourceDensityMaps``), so the checks are the ones
training applies: bit depth, channels, label ids, size against the image,
finite density values. ``--full`` reads every entry in worker processes with
a progress bar.
"""
import multiprocessing
import sys
import time
from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.utils import ProgressBar

from .report import FAIL, OK, WARN, Check

#: Entries read per dataset in the quick mode (spread over the list).
QUICK_SAMPLES = 8
_PATH_KEYS = ('img_path', 'seg_map_path', 'depth_map_path',
              'density_map_path')
_WORKER = {}  # dataset and transforms of a --full worker (set before fork)


def loading_prefix(ds) -> list:
    """The dataset pipeline up to its last ``Load*`` transform (so a label
    stored at the input size is loaded after the resize, as in training)."""
    transforms = list(getattr(getattr(ds, 'pipeline', None), 'transforms',
                              ()))
    loads = [i for i, t in enumerate(transforms)
             if type(t).__name__.startswith('Load')]
    return transforms[:loads[-1] + 1] if loads else []


def read_entry(ds, idx: int, prefix: Sequence) -> Dict:
    """Run ``prefix`` on entry ``idx``; a summary of what was read.

    Raises:
        Whatever the readers raise (the message names the file).
    """
    results = ds.get_data_info(idx)
    for t in prefix:
        if hasattr(t, 'unexpected_counts'):
            t.unexpected_counts, t._reported = Counter(), True
        results = t(results)
    out = dict(path=results.get('img_path'))
    img = results.get('img')
    if img is not None:
        out['image'] = (f'{img.shape[1]}x{img.shape[0]}x'
                        f'{img.shape[2] if img.ndim == 3 else 1} '
                        f'{img.dtype}')
        out['ori'] = tuple(results.get('ori_shape', img.shape[:2]))
    seg = results.get('gt_seg_map')
    if seg is not None:
        ids = np.unique(seg)
        out['ids'] = [int(v) for v in ids]
        for t in prefix:
            if getattr(t, 'unexpected_counts', None):
                out['unexpected'] = dict(t.unexpected_counts)
    depth = results.get('gt_depth_map')
    if depth is not None:
        out['depth'] = (float(depth.min()), float(depth.max()))
    dens = results.get('gt_density_map')
    if dens is not None:
        out['density'] = tuple(dens.shape)
    return out


def _worker_read(idx: int):
    try:
        return idx, read_entry(_WORKER['ds'], idx, _WORKER['prefix']), None
    except Exception as err:  # reported per file, never raised
        return idx, None, f'{type(err).__name__}: {err}'


def sample_indices(ds, full: bool, n: int = QUICK_SAMPLES) -> List[int]:
    """Entries to read: all with ``full``, else ``n`` spread evenly; entries
    with a missing file (reported by the data check) are left out."""
    missing = {p for paths in getattr(ds, 'missing', {}).values()
               for p in paths}
    if missing:
        ok = [i for i in range(len(ds)) if not any(
            ds.get_data_info(i).get(k) in missing for k in _PATH_KEYS)]
    else:
        ok = list(range(len(ds)))
    if full or len(ok) <= n:
        return ok
    pick = np.unique(np.linspace(0, len(ok) - 1, n).round().astype(int))
    return [ok[i] for i in pick]


def read_entries(ds, indices: List[int], workers: int = 1,
                 progress: bool = False, label: str = '') -> List[tuple]:
    """``(idx, summary, error)`` for each index, in worker processes when
    ``workers > 1`` (forked: the dataset is not pickled)."""
    prefix = loading_prefix(ds)
    if progress:
        print(f'reading {len(indices)} entries of {label} with {workers} '
              'worker(s)', file=sys.stderr)
    bar = ProgressBar(len(indices), file=sys.stderr) if progress else None
    out, step = [], max(1, len(indices) // 100)  # the bar moves by 1%
    _WORKER.update(ds=ds, prefix=prefix)
    try:
        if workers > 1 and len(indices) > 1:
            pool = multiprocessing.get_context('fork').Pool(workers)
            chunk = max(1, min(64, len(indices) // (workers * 8)))
            results = pool.imap_unordered(_worker_read, indices, chunk)
        else:
            pool, results = None, map(_worker_read, indices)
        for res in results:
            out.append(res)
            if bar and (len(out) % step == 0 or len(out) == len(indices)):
                bar.update(step if len(out) % step == 0 else
                           len(out) % step)
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        _WORKER.clear()
    if bar:
        sys.stderr.write('\n')
    return sorted(out, key=lambda r: r[0])


def summarise(name: str, results: List[tuple], total: int,
              full: bool, seconds: float) -> Check:
    """One row from the summaries and errors of :func:`read_entries`."""
    errors = [e for _, s, e in results if e]
    good = [s for _, s, e in results if s]
    scope = (f'all {len(results)} entries' if full else
             f'{len(results)} of {total} entries (sample; --full reads all)')
    facts = []
    for key, what in (('image', 'images'), ):
        kinds = Counter(s[key] for s in good if key in s)
        if kinds:
            facts.append(what + ' ' + ', '.join(
                f'{k} ({n})' if len(kinds) > 1 else k
                for k, n in kinds.most_common(3)))
    ids = sorted({i for s in good for i in s.get('ids', ())})
    if ids:
        known = [i for i in ids if i != 255]
        facts.append(f'label train ids {min(known) if known else "-"}..'
                     f'{max(known) if known else "-"}'
                     + (' + 255 (ignore)' if 255 in ids else ''))
    depth = [s['depth'] for s in good if 'depth' in s]
    if depth:
        facts.append('inverse depth {:.3g}..{:.3g}'.format(
            min(d[0] for d in depth), max(d[1] for d in depth)))
    dens = {s['density'] for s in good if 'density' in s}
    if dens:
        facts.append('density maps ' + ', '.join(
            'x'.join(map(str, d)) for d in sorted(dens)))
    detail = f'{scope} read in {seconds:.1f} s: ' + '; '.join(facts)
    unexpected = Counter()
    for s in good:
        unexpected.update(s.get('unexpected', {}))
    if errors:
        return Check('formats', name, FAIL,
                     f'{len(errors)} of {len(results)} entries unreadable '
                     'or in the wrong format:\n' + '\n'.join(errors[:3]),
                     'replace the files named above with files in the '
                     "dataset's format (see docs/bad_inputs.md)")
    if unexpected:
        return Check('formats', name, WARN,
                     detail + f'\nlabel ids outside the scheme (raw id: '
                     f'pixels) {dict(unexpected.most_common(5))} are mapped '
                     'to 255 (ignored)',
                     'check that the label folder holds the raw ids of this '
                     'dataset')
    return Check('formats', name, OK, detail)


def check_formats(name: str, ds, full: bool, workers: int,
                  progress: Optional[bool] = None) -> Check:
    """The formats row of one dataset."""
    t0 = time.time()
    indices = sample_indices(ds, full)
    if not indices:
        return Check('formats', name, WARN, 'no complete entry to read')
    results = read_entries(ds, indices, workers if full else 1,
                           progress=full if progress is None else progress,
                           label=name)
    return summarise(name, results, len(ds), full, time.time() - t0)
