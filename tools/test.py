"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

Mirrors MMSegmentation's ``tools/test.py``. ``--show-dir`` writes, for every
test image, the image, ground truth, prediction and (for DDA models) the
predicted depth and density side by side.
"""
import argparse

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from mmseg_dda.compat.cpu_distributed import init_cpu_distributed
from mmseg_dda.utils.runtime import add_common_args, load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='directory where the predicted label maps are written '
        '(IoUMetric output_dir)')
    parser.add_argument(
        '--show-dir',
        help='directory where side-by-side visualisations are written')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    init_cpu_distributed(cfg)
    if args.show_dir:
        cfg.default_hooks['visualization'] = dict(
            type='DDAVisualizationHook', show_dir=args.show_dir)
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    # Images/s at the end of the test (a summary line).
    cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                        dict(type='TestThroughputHook')]
    # As MMSeg's tools/test.py: the config's runner_type (DDARunner in
    # configs/_base_/default_runtime.py: checked checkpoint loading), else
    # MMEngine's Runner.
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.test()


if __name__ == '__main__':
    main()
