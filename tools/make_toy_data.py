"""Generate the synthetic SYNTHIA / Cityscapes / Mapillary toy trees.

Example::

    python tools/make_toy_data.py --out data/toy --num-source 100 \
        --num-target 50 --num-val 20 --size 320 190 --seed 0

Writes ``<out>/synthia``, ``<out>/cityscapes`` and ``<out>/mapillary`` in the
formats of the real datasets (see ``mmseg_dda/datasets/toy/writer.py``).
"""
import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmseg_dda  # noqa: E402,F401  (compat shims first)
from mmseg_dda.datasets.toy import generate_toy_dataset  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--num-source', type=int, default=6)
    p.add_argument('--num-target', type=int, default=4,
                   help='target training images per target domain')
    p.add_argument('--num-val', type=int, default=3,
                   help='labelled validation images per target domain')
    p.add_argument('--size', type=int, nargs=2, default=(320, 190),
                   metavar=('W', 'H'), help='SYNTHIA-like image size')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--with-train-labels', action='store_true',
                   help='also write target-train labels')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t0 = time.time()
    roots = generate_toy_dataset(
        args.out, num_source=args.num_source, num_target=args.num_target,
        num_val=args.num_val, size=tuple(args.size), seed=args.seed,
        with_train_labels=args.with_train_labels)
    n = args.num_source + 2 * (args.num_target + args.num_val)
    print(json.dumps(dict(roots=roots, images=n,
                          seconds=round(time.time() - t0, 2)), indent=1))


if __name__ == '__main__':
    main()
