"""Fit per-class depth-distribution GMM priors on the SYNTHIA source set.

Example::

    python tools/fit_gmm.py configs/dda/syn2city_16cls.py --out gmm.json \
        --num-images 1000 --samples-per-class 200000

A command line over :func:`mmseg_dda.apis.fit_gmm_priors`. The feature grid
is the one the config's model produces: the segmentor is built and run once,
shapes only, at the input size of the config's source pipeline
(``--input-size`` overrides it), and the segmentation head's output shape is
the grid (96x161 for DeepLab-v2 at 1280x760, 190x320 for MiT-B5). ``--grid
H W`` overrides it; configs without a segmentor use the grid of their GMM
set.

Writes a JSON in the format of the reference sets (a ``_meta`` block and one
set), readable with ``load_gmm_params(path)`` and usable as
``model.density.params`` or ``tools/gen_density_maps.py --gmm``.
"""
import argparse
import sys

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmengine.config import DictAction

from mmseg_dda.apis import fit_gmm_priors
from mmseg_dda.utils.cli_types import (non_negative_int, positive_float,
                                       positive_int)
from mmseg_dda.utils.output_policy import OUTPUT_ERRORS
from mmseg_dda.utils.runtime import read_config
from mmseg_dda.utils.threads import add_threads_arg, apply_threads


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fit per-class (x, y, inverse depth) GMMs on SYNTHIA')
    parser.add_argument('config', help='training config (source dataset)')
    parser.add_argument('--out', default='gmm_params_fitted.json',
                        help='output JSON')
    parser.add_argument('--set-name', default='fitted',
                        help='name of the set in the JSON')
    parser.add_argument('--num-images', type=positive_int,
                        help='random subset of N images (default: all)')
    parser.add_argument('--samples-per-class', type=positive_int,
                        default=200000,
                        help='uniform subsample of grid points per class')
    parser.add_argument('--components', type=positive_int, default=5,
                        help='Gaussian components per class (default 5)')
    parser.add_argument('--seed', type=non_negative_int, default=0)
    parser.add_argument('--grid', type=positive_int, nargs=2,
                        metavar=('H', 'W'),
                        help='feature grid (default: the output grid of the '
                        'config\'s model at its input size)')
    parser.add_argument('--input-size', type=positive_int, nargs=2,
                        metavar=('H', 'W'),
                        help='network input size for the model grid '
                        '(default: the source pipeline\'s resize)')
    parser.add_argument('--var-floor', type=positive_float, nargs=3,
                        metavar=('X', 'Y', 'Z'),
                        help='floor of the fitted variances in the data\'s '
                        'units (grid cells^2, inverse depth^2); default: '
                        'none beyond 1e-6, as the reference sets')
    parser.add_argument('--squash-scale',
                        help='squash scale stored with the set: a number, '
                        'or "grid" for 1e6 * h * w / (96 * 161) on the grid '
                        'h x w (the reference\'s 1e6 on 96x161); default: '
                        'none stored (1e6). A stored scale must also be '
                        'set in LoadSourceDensityMaps(squash_scale=...)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_threads_arg(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    apply_threads(args.threads)
    cfg = read_config(args.config, args.cfg_options)
    try:
        fit_gmm_priors(
            cfg, out=args.out, set_name=args.set_name,
            num_images=args.num_images,
            samples_per_class=args.samples_per_class,
            components=args.components, seed=args.seed, grid=args.grid,
            input_size=args.input_size, var_floor=args.var_floor,
            squash_scale=args.squash_scale)
    except OUTPUT_ERRORS as e:
        raise SystemExit(f'error: {e}') from e
    return 0


if __name__ == '__main__':
    sys.exit(main())
