"""STEP 1: precompute the SYNTHIA source density maps (docs/method.md §3.4).

Example::

    python tools/gen_density_maps.py configs/dda/syn2city_16cls.py --workers 4

A command line over :func:`mmseg_dda.apis.generate_source_density_maps`:
for every image of the config's SYNTHIA source dataset the per-class GMM pdf
is evaluated on the feature grid and the raw maps are written to
``<out>/<stem>.npy`` (float32 ``(C, h, w)``) and/or ``<out>/<stem>-<c>.tiff``
(reference layout). Complete outputs are skipped, so an interrupted run is
resumed by running the same command again.

The folder's ``manifest.json`` records the GMM set (name and parameter hash),
grid, class count, label folder and id table, layout and the ablation switch.
A rerun with other values stops with the differing fields; ``--overwrite``
deletes the old maps and starts afresh.
"""
import argparse
import sys

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmengine.config import DictAction

from mmseg_dda.apis import StepInputError, generate_source_density_maps
from mmseg_dda.density.generation import format_summary
from mmseg_dda.utils.provenance import StaleOutputError
from mmseg_dda.utils.runtime import read_config


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
    cfg = read_config(args.config, args.cfg_options)
    try:
        summary = generate_source_density_maps(
            cfg, out=args.out, workers=args.workers, layout=args.layout,
            num_classes=args.num_classes, gmm=args.gmm, gmm_set=args.gmm_set,
            grid=args.grid, mask_outside=args.mask_outside,
            max_images=args.max_images, overwrite=args.overwrite)
    except StepInputError as e:
        raise SystemExit(str(e)) from e
    except StaleOutputError as e:
        raise SystemExit(f'error: {e}') from e
    print(format_summary(summary))
    return 1 if summary['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
