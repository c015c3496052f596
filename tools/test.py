"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

Mirrors MMSegmentation's ``tools/test.py``. ``--show-dir`` writes, for every
test image, the image, ground truth, prediction and (for DDA models) the
predicted depth and density side by side. ``--out`` and ``--show-dir`` may
not overlap the test images, labels or the checkpoint, and replace only
files their ``manifest.json`` lists
(:mod:`mmseg_dda.utils.output_policy`).
"""
import argparse
import os.path as osp

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from mmseg_dda.compat.cpu_distributed import init_cpu_distributed
from mmseg_dda.utils.output_policy import (OUTPUT_ERRORS,
                                           check_outside_inputs,
                                           claim_output_folder)
from mmseg_dda.utils.runtime import add_common_args, load_config
from mmseg_dda.utils.work_dir_lock import launcher_rank


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


def test_images(cfg) -> list:
    """Image and label paths of the test set (built once, list only)."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def claim_outputs(cfg, args) -> None:
    """Apply the output policy to ``--out`` and ``--show-dir``: files named
    ``<image stem>.png`` (IoUMetric and DDAVisualizationHook name them so)."""
    folders = [(flag, path) for flag, path in (
        ('--out', args.out), ('--show-dir', args.show_dir)) if path]
    if not folders:
        return
    infos = test_images(cfg)
    trees = sorted({osp.dirname(info[key]) for info in infos
                    for key in ('img_path', 'seg_map_path')
                    if info.get(key)})
    names = [osp.splitext(osp.basename(info['img_path']))[0] + '.png'
             for info in infos]
    for flag, path in folders:
        if flag == '--show-dir' and not osp.isabs(path):
            path = osp.join(cfg.work_dir, path)  # as DDAVisualizationHook
        check_outside_inputs(path, trees, [args.checkpoint], flag)
        claim_output_folder(
            path, 'test_' + flag.strip('-').replace('-', '_'), names,
            compare_inputs=False, trees=trees, files=[args.checkpoint],
            flag=flag, info=dict(config=osp.abspath(args.config),
                                 checkpoint=osp.abspath(args.checkpoint)))


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args)  # also sets the thread count (--threads)
    cfg.load_from = args.checkpoint
    init_cpu_distributed(cfg)
    try:
        if launcher_rank() == 0:  # one claim (and lock) per run
            claim_outputs(cfg, args)
    except OUTPUT_ERRORS as e:
        raise SystemExit(f'error: {e}') from e
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
