"""Generate the synthetic SYNTHIA / Cityscapes / Mapillary toy trees.

Example::

    python tools/make_toy_data.py --out data/toy --num-source 100 \
        --num-target 50 --num-val 20 --size 320 190 --seed 0

Writes ``<out>/synthia``, ``<out>/cityscapes`` and ``<out>/mapillary`` in the
formats of the real datasets (see ``mmseg_dda/demo/toy/writer.py``), and
``<out>/manifest.json`` with the arguments and the three trees. Existing
trees are refused unless the manifest lists them and records the same
arguments (a rerun, e.g. after an interruption, rewrites the same files);
``--overwrite`` deletes the trees the manifest lists and starts afresh
(:func:`mmseg_dda.utils.output_policy.claim_output_folder`). Other files in
``--out`` are left alone.
"""
import argparse
import json
import time

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmseg_dda.demo.toy import generate_toy_dataset
from mmseg_dda.utils.cli_types import int_at_least
from mmseg_dda.utils.output_policy import OUTPUT_ERRORS, claim_output_folder

#: What the tool writes under ``--out`` (deleted by ``--overwrite``).
TREES = ('synthia', 'cityscapes', 'mapillary')
MANIFEST_KIND = 'toy_data'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--num-source', type=int_at_least(1), default=6)
    p.add_argument('--num-target', type=int_at_least(1), default=4,
                   help='target training images per target domain')
    p.add_argument('--num-val', type=int_at_least(1), default=3,
                   help='labelled validation images per target domain')
    p.add_argument('--size', type=int_at_least(8), nargs=2,
                   default=(320, 190), metavar=('W', 'H'),
                   help='SYNTHIA-like image size (each >= 8)')
    p.add_argument('--seed', type=int_at_least(0), default=0)
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
    """Claim ``out`` for the toy trees (see the module docstring)."""
    claim_output_folder(out, MANIFEST_KIND, [t + '/' for t in TREES], inputs,
                        overwrite=overwrite, legacy=lambda n: n in TREES,
                        log=print)


def main(argv=None):
    args = parse_args(argv)
    inputs = {k: v for k, v in vars(args).items()
              if k not in ('out', 'overwrite')}
    t0 = time.time()
    try:
        prepare_out(args.out, inputs, args.overwrite)
        roots = generate_toy_dataset(
            args.out, num_source=args.num_source,
            num_target=args.num_target, num_val=args.num_val,
            size=tuple(args.size), seed=args.seed,
            with_train_labels=args.with_train_labels,
            source_view=args.source_view)
    except OUTPUT_ERRORS as e:
        raise SystemExit(f'error: {e}') from e
    n = args.num_source + 2 * (args.num_target + args.num_val)
    print(json.dumps(dict(roots=roots, images=n,
                          seconds=round(time.time() - t0, 2)), indent=1))


if __name__ == '__main__':
    main()
