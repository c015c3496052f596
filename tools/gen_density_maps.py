"""STEP 1: precompute the SYNTHIA source density maps (docs/method.md §3.4).

Example::

    python tools/gen_density_maps.py configs/dda/syn2city_16cls.py --workers 4

For every image of the config's SYNTHIA source dataset the GT label (train
ids) and inverse depth are read at native resolution, the per-class GMM pdf is
evaluated on the feature grid (:meth:`GMMDensity.source_density_maps`) and the
raw maps are written to ``<out>/<stem>.npy`` (float32 ``(C, h, w)``) and/or
``<out>/<stem>-<c>.tiff`` (reference layout). Complete outputs are skipped, so
an interrupted run is resumed by running the same command again.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_dda  # noqa: E402,F401,I001  (compat shims before mmseg)
from mmengine.config import Config, DictAction  # noqa: E402

from mmseg_dda.density.generation import (  # noqa: E402
    format_summary, generate_density_maps)
from mmseg_dda.density.source_data import (  # noqa: E402
    build_source_dataset, resolve_gmm, resolve_grid, source_dataset_cfg,
    source_items)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate SYNTHIA source density maps (DDA STEP 1)')
    parser.add_argument('config', help='training config')
    parser.add_argument(
        '--out', help='output folder (default: <synthia root>/'
        '<density_map_dir of the config, else source_density_maps>)')
    parser.add_argument('--workers', type=int, default=1,
                        help='worker processes (default 1)')
    parser.add_argument('--layout', choices=['npy', 'tiff', 'both'],
                        help='file layout (default: the dataset\'s '
                        'density_map_layout, else npy)')
    parser.add_argument('--num-classes', type=int,
                        help='expected number of classes (checked against '
                        'the GMM set and the dataset)')
    parser.add_argument('--gmm', help='GMM set name or JSON path (default: '
                        'model.density.params of the config)')
    parser.add_argument('--gmm-set', help='set inside a --gmm JSON file')
    parser.add_argument('--grid', type=int, nargs=2, metavar=('H', 'W'),
                        help='feature grid (default: the GMM set\'s grid)')
    parser.add_argument('--mask-outside', action='store_true',
                        help='ablation: zero cells outside the class')
    parser.add_argument('--max-images', type=int,
                        help='process at most N pending images, then stop')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    params = resolve_gmm(cfg, args.gmm, args.gmm_set)
    grid_hw = resolve_grid(args.grid, params)
    dataset = build_source_dataset(cfg)
    num_classes = getattr(dataset, 'num_classes',
                          len(dataset.metainfo.get('classes', ())))
    for what, n in (('dataset', num_classes), ('--num-classes',
                                               args.num_classes)):
        if n is not None and int(n) != params.num_classes:
            raise SystemExit(
                f'GMM parameter set {params.name!r} has '
                f'{params.num_classes} classes but the {what} has {n}')
    src_cfg = source_dataset_cfg(cfg)
    out = args.out
    if out is None:
        root = getattr(dataset, 'data_root', None) or src_cfg.get('data_root')
        if not root:
            raise SystemExit('cannot tell the SYNTHIA root; pass --out')
        out = osp.join(root, src_cfg.get('density_map_dir',
                                         'source_density_maps'))
    layout = args.layout or src_cfg.get('density_map_layout', 'npy')
    summary = generate_density_maps(
        source_items(dataset), params, grid_hw, out, layout=layout,
        workers=max(1, args.workers), mask_outside=args.mask_outside,
        max_images=args.max_images)
    print(format_summary(summary))
    return 1 if summary['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
