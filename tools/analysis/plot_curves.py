"""Plot training losses and validation metrics from an MMEngine run.

Usage::

    python tools/analysis/plot_curves.py WORK_DIR_OR_JSON_LOG
        [--keys loss src.loss_seg mIoU ...] [--out curves.png]

``WORK_DIR_OR_JSON_LOG`` is either a JSON-lines log written by MMEngine's
``LocalVisBackend`` (``<work_dir>/<timestamp>/vis_data/scalars.json``, or the
``<timestamp>.json`` copy next to it) or a work dir / timestamp dir, in which
case the newest ``vis_data/scalars.json`` is used. Each line is one record
such as ``{"loss": 1.2, "lr": 0.00025, "iter": 50, "step": 50}`` (training)
or ``{"mIoU": 41.3, "step": 1000}`` (validation). By default every key
containing ``loss`` plus the ``mIoU`` keys are drawn, one panel per key,
against ``step``.
"""
import argparse
import glob
import json
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')  # headless: files only
import matplotlib.pyplot as plt  # noqa: E402
from mmseg_dda.utils.atomic_io import atomic_open

Series = Dict[str, Tuple[List[float], List[float]]]


def find_log(path: str) -> str:
    """Resolve a work dir (or timestamp dir) to its newest JSON log.

    Args:
        path (str): A ``.json`` file, a work dir or a timestamp dir.

    Returns:
        str: Path of the JSON-lines log.
    """
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such file or directory')
    patterns = ['vis_data/scalars.json', '*/vis_data/scalars.json',
                'vis_data/*.json', '*/vis_data/*.json']
    for pattern in patterns:
        # Timestamp folders (YYYYmmdd_HHMMSS) sort chronologically.
        found = sorted(glob.glob(osp.join(path, pattern)))
        if found:
            return found[-1]
    raise FileNotFoundError(
        f'{path}: no MMEngine JSON log found (looked for '
        f'{", ".join(patterns)})')


def load_records(path: str) -> List[dict]:
    """Read a JSON-lines log; undecodable lines are skipped with a warning
    (the last line of a running job may be incomplete)."""
    records = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                warnings.warn(f'{path}:{lineno}: not valid JSON, skipped')
                continue
            if isinstance(rec, dict):
                records.append(rec)
    if not records:
        raise ValueError(f'{path}: no JSON records found')
    return records


def default_keys(records: Sequence[dict]) -> List[str]:
    """Every key containing ``loss``, then every ``mIoU`` key."""
    keys: List[str] = []
    for rec in records:
        for key in rec:
            if key not in keys and ('loss' in key or key.startswith('mIoU')):
                keys.append(key)
    return sorted(keys, key=lambda k: (k.startswith('mIoU'), k))


def collect_series(records: Sequence[dict], keys: Sequence[str]) -> Series:
    """``{key: (steps, values)}`` for each requested key.

    The x value is ``step`` when present (MMEngine writes it on training
    and validation records), else ``iter``, else the record index.
    """
    series: Series = {}
    for key in keys:
        xs, ys = [], []
        for i, rec in enumerate(records):
            value = rec.get(key)
            if isinstance(value, (int, float)):
                xs.append(rec.get('step', rec.get('iter', i)))
                ys.append(float(value))
        if not xs:
            raise KeyError(f'key {key!r} not found in the log; available: '
                           f'{sorted({k for r in records for k in r})}')
        series[key] = (xs, ys)
    return series


def plot_series(series: Series, out: str, title: Optional[str] = None) -> None:
    """Draw one panel per key and write a PNG atomically."""
    n = len(series)
    fig, axes = plt.subplots(n, 1, figsize=(8, 2.4 * n), sharex=True,
                             squeeze=False)
    for ax, (key, (xs, ys)) in zip(axes[:, 0], series.items()):
        marker = 'o' if key.startswith('mIoU') or len(xs) < 30 else None
        ax.plot(xs, ys, marker=marker, linewidth=1)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel('iteration')
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    try:
        with atomic_open(out) as f:
            fig.savefig(f, format='png', dpi=100)
    finally:
        plt.close(fig)


def main(argv=None) -> Series:
    parser = argparse.ArgumentParser(description='Plot training curves')
    parser.add_argument('log', help='work dir or MMEngine JSON log')
    parser.add_argument('--keys', nargs='+', help='keys to plot')
    parser.add_argument('--out', default='curves.png', help='output PNG')
    args = parser.parse_args(argv)
    log = find_log(args.log)
    records = load_records(log)
    keys = args.keys or default_keys(records)
    if not keys:
        raise ValueError(f'{log}: no loss or mIoU keys; pass --keys')
    series = collect_series(records, keys)
    plot_series(series, args.out, title=log)
    print(f'{len(series)} curves from {log} -> {args.out}')
    return series


if __name__ == '__main__':
    main()
