"""Train a segmentor or a DDA model: ``python tools/train.py CONFIG [options]``.

Mirrors MMSegmentation's ``tools/train.py``; uses the GPU when one is present
and the CPU otherwise. Runs the quick preflight first (``tools/preflight.py``,
docs/preflight.md) and stops with its table when a blocking check fails;
``--no-preflight`` skips it.
"""
import argparse
import logging
import os

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from mmseg_dda.compat.cpu_distributed import init_cpu_distributed
from mmseg_dda.apis.model_grid import check_maps_grid
from mmseg_dda.density.manifest import check_config_density_maps
from mmseg_dda.engine import enable_fast_bf16
from mmseg_dda.preflight import run_preflight
from mmseg_dda.utils.runtime import (add_common_args, enable_tensorboard,
                                     load_config, resolve_resume)
from mmseg_dda.utils.work_dir_lock import acquire_work_dir_lock, launcher_rank


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp',
        nargs='?',
        const='fp16',
        default=False,
        choices=['fp16', 'bf16'],
        help='mixed-precision training: --amp or --amp fp16 (GPU, '
        "AmpOptimWrapper); --amp bf16: the fast mode (CPU or GPU, bf16 "
        'autocast + channels-last)')
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        default=False,
        help='also write TensorBoard events to <work_dir>/<timestamp>/'
        "vis_data (needs the optional extra: pip install -e '.[tensorboard]')")
    parser.add_argument(
        '--no-preflight',
        action='store_true',
        default=False,
        help='skip the quick preflight (tools/preflight.py) that checks '
        'data, weights, work_dir and device before training')
    add_common_args(parser)
    return parser.parse_args(argv)


def enable_amp(cfg) -> None:
    """Switch every optimiser wrapper of the config to ``AmpOptimWrapper``."""
    optim_wrapper = cfg.optim_wrapper
    wrappers = ([optim_wrapper] if 'type' in optim_wrapper else [
        v for v in optim_wrapper.values() if isinstance(v, dict)
    ])
    for wrapper in wrappers:
        if wrapper.get('type') == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
            continue
        if wrapper.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError('--amp is only supported with OptimWrapper, got '
                             f"{wrapper.get('type')}")
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper['loss_scale'] = 'dynamic'


def preflight(cfg, args) -> None:
    """The quick preflight, once per run (rank 0): print its table and stop
    with the same rows when a blocking check fails (docs/preflight.md).
    ``MMSEG_DDA_PREFLIGHT=0`` in the environment skips it like
    ``--no-preflight`` (scripted runs, the test suite)."""
    if args.no_preflight or launcher_rank() != 0 or \
            os.environ.get('MMSEG_DDA_PREFLIGHT', '1') == '0':
        return
    report = run_preflight(cfg, args.config, resume=args.resume)
    print(report.table(), flush=True)
    report.raise_if_failed()


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args)
    if args.amp == 'bf16':
        enable_fast_bf16(cfg)
    elif args.amp:
        enable_amp(cfg)
    if args.tensorboard:
        enable_tensorboard(cfg)
    # After the switches above: the preflight compares the config the
    # runner will see with a checkpoint's on --resume.
    preflight(cfg, args)
    check_config_density_maps(cfg)  # STEP 1 maps made with this GMM set
    check_maps_grid(cfg)  # ... and for this model's grid
    if launcher_rank() == 0:
        acquire_work_dir_lock(cfg.work_dir)  # one run per work_dir
    resolve_resume(cfg, args.resume)
    init_cpu_distributed(cfg)
    # As MMSeg's tools/train.py: the config's runner_type (DDARunner in
    # configs/_base_/default_runtime.py), else MMEngine's Runner.
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.train()


if __name__ == '__main__':
    main()
