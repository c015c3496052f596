"""Generate self-training pseudo-labels on the target train split (§8.1).

Usage::

    python tools/gen_pseudo_labels.py CONFIG CHECKPOINT [--out DIR]
        [--format png|tiff] [--threshold 0.9 | T0 T1 ...]
        [--min-count N0 N1 ...] [--split NAME] [--device cuda|cpu]

A command line over :func:`mmseg_dda.apis.generate_pseudo_labels` (its
docstring describes the ``pseudo_label_cfg`` config key, the resume and the
folder's ``manifest.json``); command-line flags win over the config. A
rerun with other inputs stops with the differing fields; ``--overwrite``
deletes the old labels and starts afresh.
"""
import argparse
from typing import List, Optional

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmengine.config import DictAction

from mmseg_dda.apis import generate_pseudo_labels
from mmseg_dda.pseudo_labels import (DEFAULT_THRESHOLD, PseudoLabelStats,
                                     check_threshold)
from mmseg_dda.utils.provenance import StaleOutputError
from mmseg_dda.utils.runtime import read_config


def _confidence(text: str) -> float:
    value = float(text)
    try:
        check_threshold(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be >= 0, got {value}')
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate pseudo-labels on the target train split')
    parser.add_argument('config', help='config file (stage-1 or segmentor)')
    parser.add_argument('checkpoint', help='checkpoint of DDA or segmentor')
    parser.add_argument('--out', help='output folder')
    parser.add_argument('--format', choices=['png', 'tiff'],
                        help='file format (default png)')
    parser.add_argument('--threshold', type=_confidence, nargs='+',
                        help='confidence threshold, one or one per class '
                        f'(default {DEFAULT_THRESHOLD})')
    parser.add_argument('--min-count', type=_non_negative_int, nargs='+',
                        help='per-class minimum component size (§8.2)')
    parser.add_argument('--split', help='override the dataset ann_file '
                        '(e.g. train, selftrain)')
    parser.add_argument('--device', default=None,
                        help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--num-workers', type=_non_negative_int, default=2)
    parser.add_argument('--log-interval', type=_non_negative_int, default=50)
    parser.add_argument('--overwrite', action='store_true',
                        help='delete the labels already in the output folder '
                        '(and its manifest) and start afresh; needed when '
                        'they were made from other inputs')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> PseudoLabelStats:
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    try:
        return generate_pseudo_labels(
            cfg, args.checkpoint, out=args.out, fmt=args.format,
            threshold=args.threshold, min_count=args.min_count,
            split=args.split, device=args.device,
            num_workers=args.num_workers, log_interval=args.log_interval,
            overwrite=args.overwrite)
    except StaleOutputError as e:
        raise SystemExit(f'error: {e}') from e


if __name__ == '__main__':
    main()
