"""STEP 1: precompute the SYNTHIA source density maps (docs/method.md §3.4).

Example::

    python tools/gen_density_maps.py configs/dda/syn2city_16cls.py --workers 4

For every image of the config's SYNTHIA source dataset the GT label (train
ids) and inverse depth are read at native resolution, the per-class GMM pdf is
evaluated on the feature grid (:meth:`GMMDensity.source_density_maps`) and the
raw maps are written to ``<out>/<stem>.npy`` (float32 ``(C, h, w)``) and/or
``<out>/<stem>-<c>.tiff`` (reference layout). Complete outputs are skipped, so
an interrupted run is resumed by running the same command again.

The folder's ``manifest.json`` records the GMM set (name and parameter hash),
grid, class count, label folder and id table, layout and the ablation switch.
A rerun with other values stops with the differing fields; ``--overwrite``
deletes the old maps and starts afresh.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_dda  # noqa: E402,F401,I001  (compat shims before mmseg)
from mmengine.config import Config, DictAction  # noqa: E402

from mmseg_dda.density.generation import (  # noqa: E402
    format_summary, generate_density_maps)
from mmseg_dda.density.grid import tool_feature_grid  # noqa: E402
from mmseg_dda.density.source_data import (  # noqa: E402
    build_source_dataset, resolve_gmm, source_dataset_cfg, source_items)
from mmseg_dda.utils.provenance import StaleOutputError  # noqa: E402


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate SYNTHIA source density maps (DDA STEP 1)')
    parser.add_argument('config', help='training config')
    parser.add_argument(
        '--out', help='output folder (default: <synthia root>/'
        '<density_map_dir of the config, else source_density_maps>)')
    parser.add_argument('--workers', type=_positive_int, default=1,
                        help='worker processes (default 1)')
    parser.add_argument('--layout', choices=['npy', 'tiff', 'both'],
                        help='file layout (default: the dataset\'s '
                        'density_map_layout, else npy)')
    parser.add_argument('--num-classes', type=_positive_int,
                        help='expected number of classes (checked against '
                        'the GMM set and the dataset)')
    parser.add_argument('--gmm', help='GMM set name or JSON path (default: '
                        'model.density.params of the config)')
    parser.add_argument('--gmm-set', help='set inside a --gmm JSON file')
    parser.add_argument('--grid', type=_positive_int, nargs=2,
                        metavar=('H', 'W'),
                        help='feature grid (default: the output grid of '
                        'the config\'s model, else the GMM set\'s grid)')
    parser.add_argument('--mask-outside', action='store_true',
                        help='ablation: zero cells outside the class')
    parser.add_argument('--max-images', type=_positive_int,
                        help='process at most N pending images, then stop')
    parser.add_argument('--overwrite', action='store_true',
                        help='delete the maps already in the output folder '
                        '(and its manifest) and start afresh; needed when '
                        'they were made from other inputs')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    params = resolve_gmm(cfg, args.gmm, args.gmm_set)
    # The grid of the config's model (checked against the GMM set's), else
    # the GMM set's; --grid overrides both.
    grid_hw, grid_from = tool_feature_grid(cfg, args.grid, params)
    print(f'feature grid {grid_hw[0]}x{grid_hw[1]} ({grid_from})')
    dataset = build_source_dataset(cfg)
    num_classes = getattr(dataset, 'num_classes',
                          len(dataset.metainfo.get('classes', ())))
    for what, n in (('dataset', num_classes), ('--num-classes',
                                               args.num_classes)):
        if n is not None and int(n) != params.num_classes:
            raise SystemExit(
                f'GMM parameter set {params.name!r} has '
                f'{params.num_classes} classes but the {what} has {n}')
    classes = list(dataset.metainfo.get('classes', ()))
    if params.class_names is not None and classes and \
            list(params.class_names) != classes:
        # Same count, other order: every class would get another's prior.
        raise SystemExit(
            f'GMM parameter set {params.name!r} ({params.source}) orders its '
            f'classes {list(params.class_names)} but the dataset has '
            f'{classes}')
    src_cfg = source_dataset_cfg(cfg)
    out = args.out
    if out is None:
        root = getattr(dataset, 'data_root', None) or src_cfg.get('data_root')
        if not root:
            raise SystemExit('cannot tell the SYNTHIA root; pass --out')
        out = osp.join(root, src_cfg.get('density_map_dir',
                                         'source_density_maps'))
    layout = args.layout or src_cfg.get('density_map_layout', 'npy')
    try:
        summary = generate_density_maps(
            source_items(dataset), params, grid_hw, out, layout=layout,
            workers=args.workers, mask_outside=args.mask_outside,
            max_images=args.max_images, overwrite=args.overwrite,
            info=dict(config=osp.abspath(args.config),
                      data_root=getattr(dataset, 'data_root', None)))
    except StaleOutputError as e:
        raise SystemExit(f'error: {e}') from e
    print(format_summary(summary))
    return 1 if summary['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
