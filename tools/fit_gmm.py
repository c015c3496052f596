"""Fit per-class depth-distribution GMM priors on the SYNTHIA source set.

Example::

    python tools/fit_gmm.py configs/dda/syn2city_16cls.py --out gmm.json \
        --num-images 1000 --samples-per-class 200000

The feature grid is the one the config's model produces: the segmentor is
built and run once, shapes only, at the input size of the config's source
pipeline (``--input-size`` overrides it), and the segmentation head's output
shape is the grid (96x161 for DeepLab-v2 at 1280x760, 190x320 for MiT-B5).
``--grid H W`` overrides it; configs without a segmentor use the grid of
their GMM set.

Writes a JSON in the format of the reference sets (a ``_meta`` block and one
set), readable with ``load_gmm_params(path)`` and usable as
``model.density.params`` or ``tools/gen_density_maps.py --gmm``.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_dda  # noqa: E402,F401,I001  (compat shims before mmseg)
import numpy as np  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from mmseg_dda.density.fitting import (  # noqa: E402
    collect_points, fit_class_gmms, gmm_json, write_json_atomic)
from mmseg_dda.density.grid import (  # noqa: E402
    has_segmentor, tool_feature_grid)
from mmseg_dda.density.source_data import (  # noqa: E402
    build_source_dataset, resolve_gmm, resolve_grid, source_items)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fit per-class (x, y, inverse depth) GMMs on SYNTHIA')
    parser.add_argument('config', help='training config (source dataset)')
    parser.add_argument('--out', default='gmm_params_fitted.json',
                        help='output JSON')
    parser.add_argument('--set-name', default='fitted',
                        help='name of the set in the JSON')
    parser.add_argument('--num-images', type=int,
                        help='random subset of N images (default: all)')
    parser.add_argument('--samples-per-class', type=int, default=200000,
                        help='uniform subsample of grid points per class')
    parser.add_argument('--components', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--grid', type=int, nargs=2, metavar=('H', 'W'),
                        help='feature grid (default: the output grid of the '
                        'config\'s model at its input size)')
    parser.add_argument('--input-size', type=int, nargs=2,
                        metavar=('H', 'W'),
                        help='network input size for the model grid '
                        '(default: the source pipeline\'s resize)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.grid is None and not has_segmentor(cfg):
        grid_hw, grid_from = resolve_grid(None, resolve_gmm(cfg)), 'GMM set'
    else:
        grid_hw, grid_from = tool_feature_grid(
            cfg, args.grid, input_hw=args.input_size)
    print(f'feature grid {grid_hw[0]}x{grid_hw[1]} ({grid_from})')
    dataset = build_source_dataset(cfg)
    items = source_items(dataset)
    if args.num_images is not None and args.num_images < len(items):
        pick = np.random.default_rng(args.seed).permutation(
            len(items))[:args.num_images]
        items = [items[i] for i in sorted(pick)]
    classes = list(dataset.metainfo.get('classes') or [])
    num_classes = len(classes) or int(dataset.num_classes)
    start = time.perf_counter()
    points, seen = collect_points(items, grid_hw, num_classes,
                                  args.samples_per_class, args.seed)
    print(f'collected grid points from {len(items)} images in '
          f'{time.perf_counter() - start:.1f} s')
    fitted = fit_class_gmms(points, args.components, seed=args.seed,
                            class_names=classes or None)
    import sklearn
    provenance = dict(
        tool='tools/fit_gmm.py', config=args.config, num_images=len(items),
        samples_per_class=args.samples_per_class, seed=args.seed,
        grid_points_per_class=seen,
        fitted_points_per_class=[len(p) for p in points],
        sklearn=sklearn.__version__, reg_covar=1e-6,
        grid_hw=list(grid_hw), grid_from=grid_from)
    write_json_atomic(
        gmm_json(args.set_name, fitted, grid_hw, classes or None, provenance),
        args.out)
    for c in range(num_classes):
        name = classes[c] if classes else str(c)
        print(f'{name:>12}: {seen[c]:>9} points, mu_z range '
              f'{min(m[2] for m in fitted["mu"][c]):.3g}..'
              f'{max(m[2] for m in fitted["mu"][c]):.3g}')
    print(f'wrote {args.out} (set {args.set_name!r}, grid '
          f'{grid_hw[0]}x{grid_hw[1]}, {time.perf_counter() - start:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
