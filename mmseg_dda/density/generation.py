"""Offline generation of source density maps (STEP 1, docs/method.md §3.4).

Library side of ``tools/gen_density_maps.py``: a resumable, multi-process loop
over the SYNTHIA source images that writes one ``(C, h, w)`` raw-pdf map per
image (``npy`` and/or the reference ``tiff`` layout, atomic writes).

The output folder records what made it (:func:`density_manifest_inputs`,
``manifest.json``); a rerun with other inputs is refused (or, with
``overwrite``, starts afresh), and a map counts as done only when it decodes
to the expected shape with finite values.
"""
import multiprocessing as mp
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

from ..datasets.formats.density_maps import (is_density_output, output_exists,
                                             outputs_complete,
                                             save_density_maps)
from ..datasets.formats.synthia import load_source_label_depth
from ..utils.provenance import prepare_output_dir
from .gmm import GMMDensity, GMMParams
from .manifest import MANIFEST_KIND, density_manifest_inputs

_WORKER: Dict = {}


def _init_worker(params: GMMParams, grid_hw: Tuple[int, int], out_dir: str,
                 layout: str, mask_outside: bool, threads: int) -> None:
    torch.set_num_threads(threads)
    _WORKER.update(
        density=GMMDensity(params),
        grid_hw=grid_hw,
        out_dir=out_dir,
        layout=layout,
        mask_outside=mask_outside)


def _process(item: Dict) -> Tuple[str, Optional[str], float]:
    """Compute and write one image. Returns ``(stem, error, seconds)``."""
    start = time.perf_counter()
    try:
        label, depth = load_source_label_depth(item)
        maps = _WORKER['density'].source_density_maps(
            torch.from_numpy(label), torch.from_numpy(depth),
            _WORKER['grid_hw'], mask_outside=_WORKER['mask_outside'])
        if not torch.isfinite(maps).all():
            raise ValueError(f'non-finite density values for '
                             f'{item["depth_map_path"]}; nothing written')
        save_density_maps(maps.numpy(), _WORKER['out_dir'], item['stem'],
                          _WORKER['layout'])
        err = None
    except Exception as e:  # noqa: BLE001 - reported per image, run goes on
        err = f'{type(e).__name__}: {e}'
    return item['stem'], err, time.perf_counter() - start


def generate_density_maps(items: Sequence[Dict],
                          params: GMMParams,
                          grid_hw: Tuple[int, int],
                          out_dir: str,
                          layout: str = 'npy',
                          workers: int = 1,
                          mask_outside: bool = False,
                          max_images: Optional[int] = None,
                          log: Callable[[str], None] = print,
                          log_every: int = 100,
                          overwrite: bool = False,
                          info: Optional[Dict] = None) -> Dict:
    """Write the source density maps of ``items``, skipping complete ones.

    Args:
        items (Sequence[dict]): Records with ``stem``, ``seg_map_path``,
            ``depth_map_path``, ``label_lut`` (see
            :func:`~mmseg_dda.apis.step_inputs.source_items`).
        params (GMMParams): GMM set.
        grid_hw (tuple[int, int]): Feature grid ``(h, w)``.
        out_dir (str): Output folder (created if needed).
        layout (str): ``'npy'``, ``'tiff'`` or ``'both'``.
        workers (int): Processes; 1 runs in this process.
        mask_outside (bool): Ablation switch of
            :meth:`GMMDensity.source_density_maps`.
        max_images (int, optional): Process at most this many pending images
            (a chunk; a later run resumes with the rest).
        log (callable): Sink for progress lines.
        log_every (int): Progress line every this many images.
        overwrite (bool): Delete the folder's old maps and start afresh;
            without it a folder made from other inputs (see
            :func:`density_manifest_inputs`) raises
            :class:`~mmseg_dda.utils.provenance.StaleOutputError`.
        info (dict, optional): Extra facts for the manifest (not compared).

    Returns:
        dict: ``total, skipped, invalid, done, failed, pending_left, seconds,
        images_per_s, failures`` (list of ``(stem, error)``); ``invalid``
        counts existing maps that were incomplete or held non-finite values
        and are recomputed.
    """
    shape = (params.num_classes, int(grid_hw[0]), int(grid_hw[1]))
    stems = [it['stem'] for it in items]
    if len(set(stems)) != len(stems):
        raise ValueError('source images with the same file stem would write '
                         'the same density-map file')
    prepare_output_dir(
        out_dir, MANIFEST_KIND,
        density_manifest_inputs(items, params, grid_hw, layout,
                                mask_outside),
        is_density_output, overwrite=overwrite,
        info=dict(gmm_source=params.source, images=len(items), **(info or {})),
        log=log)
    pending, invalid = [], []
    for it in items:
        if not outputs_complete(out_dir, it['stem'], layout, shape):
            pending.append(it)
            if output_exists(out_dir, it['stem'], layout):
                invalid.append(it['stem'])
    skipped = len(items) - len(pending)
    todo = pending if max_images is None else pending[:max(0, max_images)]
    if invalid:
        log(f'density maps: {len(invalid)} existing maps are incomplete or '
            'hold NaN/inf/negative values and are recomputed, e.g. '
            f'{invalid[:5]}')
    log(f'density maps: {len(items)} images, {skipped} already complete, '
        f'{len(todo)} to compute ({len(invalid)} of them invalid) -> '
        f'{out_dir} (layout={layout}, grid={shape[1]}x{shape[2]}, '
        f'C={shape[0]}, workers={workers})')
    init_args = (params, tuple(grid_hw), out_dir, layout, mask_outside,
                 1 if workers > 1 else torch.get_num_threads())
    failures: List[Tuple[str, str]] = []
    start = time.perf_counter()
    done = 0

    def _report(result):
        nonlocal done
        stem, err, _ = result
        if err is not None:
            failures.append((stem, err))
            log(f'FAILED {stem}: {err}')
        else:
            done += 1
        n = done + len(failures)
        if n % log_every == 0 or n == len(todo):
            dt = time.perf_counter() - start
            rate = n / dt if dt > 0 else float('inf')
            eta = (len(todo) - n) / rate if rate > 0 else 0.
            log(f'[{n}/{len(todo)}] {rate:.2f} images/s, ETA {eta:.0f} s')

    if workers > 1 and len(todo) > 1:
        method = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'
        with mp.get_context(method).Pool(
                workers, initializer=_init_worker, initargs=init_args) as pool:
            for result in pool.imap_unordered(_process, todo, chunksize=1):
                _report(result)
    else:
        saved = dict(_WORKER)
        threads = torch.get_num_threads()
        _init_worker(*init_args)
        try:
            for item in todo:
                _report(_process(item))
        finally:
            _WORKER.clear()
            _WORKER.update(saved)
            torch.set_num_threads(threads)
    seconds = time.perf_counter() - start
    return dict(
        total=len(items),
        skipped=skipped,
        invalid=len(invalid),
        done=done,
        failed=len(failures),
        pending_left=len(pending) - len(todo),
        seconds=seconds,
        images_per_s=done / seconds if seconds > 0 and done else 0.,
        failures=failures)


def format_summary(summary: Dict) -> str:
    """A small text table of a :func:`generate_density_maps` summary."""
    rows = [('images total', summary['total']),
            ('already complete (skipped)', summary['skipped']),
            ('invalid, recomputed', summary.get('invalid', 0)),
            ('computed', summary['done']), ('failed', summary['failed']),
            ('left for a later run', summary['pending_left']),
            ('time (s)', f'{summary["seconds"]:.2f}'),
            ('images/s', f'{summary["images_per_s"]:.2f}')]
    width = max(len(k) for k, _ in rows)
    line = '+' + '-' * (width + 2) + '+' + '-' * 12 + '+'
    out = [line]
    for k, v in rows:
        out.append(f'| {k:<{width}} | {str(v):>10} |')
    out.append(line)
    return '\n'.join(out)
