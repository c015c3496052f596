"""Generate the synthetic SYNTHIA / Cityscapes / Mapillary toy trees.

Example::

    python tools/make_toy_data.py --out data/toy --num-source 100 \
        --num-target 50 --num-val 20 --size 320 190 --seed 0

Writes ``<out>/synthia``, ``<out>/cityscapes`` and ``<out>/mapillary`` in the
formats of the real datasets (see ``mmseg_dda/datasets/toy/writer.py``), and
``<out>/manifest.json`` with the arguments. A non-empty ``--out`` is refused
unless its manifest records the same arguments (a rerun, e.g. after an
interruption, rewrites the same files); ``--overwrite`` deletes the three
trees and the manifest first.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import time

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmseg_dda.datasets.toy import generate_toy_dataset
from mmseg_dda.utils.provenance import (MANIFEST_NAME, StaleOutputError,
                                        diff_fields, prepare_output_dir,
                                        read_manifest)

#: What the tool writes under ``--out`` (deleted by ``--overwrite``).
TREES = ('synthia', 'cityscapes', 'mapillary')
MANIFEST_KIND = 'toy_data'


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f'must be >= {minimum}, got {value}')
        return value
    return parse


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--num-source', type=_int_at_least(1), default=6)
    p.add_argument('--num-target', type=_int_at_least(1), default=4,
                   help='target training images per target domain')
    p.add_argument('--num-val', type=_int_at_least(1), default=3,
                   help='labelled validation images per target domain')
    p.add_argument('--size', type=_int_at_least(8), nargs=2,
                   default=(320, 190), metavar=('W', 'H'),
                   help='SYNTHIA-like image size (each >= 8)')
    p.add_argument('--seed', type=_int_at_least(0), default=0)
    p.add_argument('--overwrite', action='store_true',
                   help='delete the toy trees already in --out and start '
                   'afresh')
    p.add_argument('--with-train-labels', action='store_true',
                   help='also write target-train labels')
    p.add_argument('--source-view', choices=('elevated', 'car'),
                   default='elevated',
                   help="SYNTHIA viewpoints: 'elevated' (random, as in "
                   "SYNTHIA-RAND) or 'car' (the target's camera, so the "
                   'domains differ in appearance only)')
    return p.parse_args(argv)


def prepare_out(out: str, inputs: dict, overwrite: bool) -> None:
    """Refuse a non-empty ``out`` made with other arguments (or by
    something else); with ``overwrite`` delete the toy trees first."""
    if overwrite:
        for name in TREES:
            shutil.rmtree(osp.join(out, name), ignore_errors=True)
    elif osp.isdir(out) and os.listdir(out):
        old = read_manifest(out)
        if old is None or old.get('kind') != MANIFEST_KIND:
            raise StaleOutputError(
                f'--out {out} is not empty and has no toy-data '
                f'{MANIFEST_NAME}: refusing to write the toy trees into it. '
                'Choose an empty or new folder, or pass --overwrite to '
                f'delete {", ".join(TREES)} there first.')
        diffs = diff_fields(old['inputs'], inputs)
        if diffs:
            raise StaleOutputError(
                f'--out {out} holds toy data made with other arguments: '
                + '; '.join(diffs) + '. Pass --overwrite to delete it and '
                'start afresh, or choose another folder.')
    prepare_output_dir(out, MANIFEST_KIND, inputs, lambda name: False,
                       overwrite=True, log=lambda msg: None)


def main(argv=None):
    args = parse_args(argv)
    inputs = {k: v for k, v in vars(args).items()
              if k not in ('out', 'overwrite')}
    try:
        prepare_out(args.out, inputs, args.overwrite)
    except StaleOutputError as e:
        raise SystemExit(f'error: {e}') from e
    t0 = time.time()
    roots = generate_toy_dataset(
        args.out, num_source=args.num_source, num_target=args.num_target,
        num_val=args.num_val, size=tuple(args.size), seed=args.seed,
        with_train_labels=args.with_train_labels,
        source_view=args.source_view)
    n = args.num_source + 2 * (args.num_target + args.num_val)
    print(json.dumps(dict(roots=roots, images=n,
                          seconds=round(time.time() - t0, 2)), indent=1))


if __name__ == '__main__':
    main()
