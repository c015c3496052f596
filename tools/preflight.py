"""Check a training config's data, weights, run folder and device.

``python tools/preflight.py CONFIG [--cfg-options ...] [--full] [--time N]``

Prints one table (✓ passed, ✗ blocking, ! warning, · information) with the
command that fixes each problem, and exits with status 1 when a blocking
check failed. ``tools/train.py`` runs the quick part before training
(``--no-preflight`` skips it). See docs/preflight.md.
"""
import argparse

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmengine.config import DictAction

from mmseg_dda.preflight import run_preflight
from mmseg_dda.utils.cli_types import non_negative_int, positive_int
from mmseg_dda.utils.runtime import read_config, work_dir_of


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='training config file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings, as for tools/train.py')
    p.add_argument('--work-dir', help='the run\'s work_dir, as for '
                   'tools/train.py')
    p.add_argument('--resume', action='store_true',
                   help='check the state a tools/train.py --resume would '
                   'continue from')
    p.add_argument('--full', action='store_true',
                   help='read every file (default: every file is listed, '
                   'a sample per dataset is read)')
    p.add_argument('--workers', type=positive_int, default=None,
                   help='processes for --full (default: CPU count, max 8)')
    p.add_argument('--time', type=non_negative_int, default=0, metavar='N',
                   help='also train N timed iterations (+1 warm-up) and '
                   'estimate the run\'s time')
    p.add_argument('--no-measure', action='store_true',
                   help='do not run a training step on the GPU to measure '
                   'its memory')
    return p.parse_args(argv)


def main(argv=None):
    """Print the table; exit status 1 when a blocking check failed."""
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    cfg.work_dir = work_dir_of(cfg, args.config, args.work_dir)
    report = run_preflight(cfg, args.config, full=args.full,
                           time_iters=args.time, resume=args.resume,
                           workers=args.workers,
                           measure_gpu=not args.no_measure)
    print(report.table(), flush=True)
    if not report.ok:
        raise SystemExit(1)
    return report


if __name__ == '__main__':
    main()
