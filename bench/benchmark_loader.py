"""Data-loader throughput of the SYNTHIA source pipeline (images/s).

Generates toy SYNTHIA samples at 1280x760 (the reference source size) unless
``--data-root`` is given, precomputes ``.npy`` source density maps, and times
the full pipeline (load image, mapped label, inverse depth, density maps,
resize, pack) through a ``DataLoader`` with ``pseudo_collate``:

* ``no_density``: label + depth only (reference point);
* ``npy``: precomputed maps read by ``LoadSourceDensityMaps``;
* ``on_the_fly``: maps computed by ``ComputeSourceDensityMaps`` (GMM ``c16``,
  96x161 grid).

Example::

    python bench/benchmark_loader.py --num-images 40 --workers 2

Prints a table and writes ``bench/results/loader.json`` (atomically).
"""
import argparse
import os
import os.path as osp
import platform
import tempfile
import time


import mmseg_dda  # noqa: E402,F401  (registers the project's modules)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402

from mmseg_dda.utils.atomic_io import atomic_write_json
from mmseg_dda.datasets import SynthiaDataset, feature_grid_size  # noqa
from mmseg_dda.demo.toy import generate_toy_dataset  # noqa: E402
from mmseg_dda.datasets.transforms import (LoadInverseDepth,  # noqa: E402
                                           LoadMappedAnnotations)
from mmseg_dda.datasets.formats import save_density_maps  # noqa: E402
from mmseg_dda.density import GMMDensity  # noqa: E402

SCALE = (1280, 760)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--num-images', type=int, default=20,
                   help='images timed per variant (and generated)')
    p.add_argument('--workers', type=int, default=0,
                   help='DataLoader worker processes')
    p.add_argument('--data-root', default=None,
                   help='existing SYNTHIA root (default: generate toy data)')
    p.add_argument('--out', default=osp.join(
        osp.dirname(osp.abspath(__file__)), 'results', 'loader.json'))
    return p.parse_args(argv)


def precompute_npy(root: str, num_classes: int = 16) -> float:
    """Write ``source_density_maps/<stem>.npy`` for every image.

    Returns:
        float: Seconds per image.
    """
    out_dir = osp.join(root, 'source_density_maps')
    os.makedirs(out_dir, exist_ok=True)
    ds = SynthiaDataset(root, num_classes=num_classes, serialize_data=False)
    gmm = GMMDensity('c16')
    grid = feature_grid_size(SCALE[::-1])
    load_lab, load_dep = LoadMappedAnnotations(), LoadInverseDepth()
    t0 = time.perf_counter()
    for i in range(len(ds)):
        r = load_dep(load_lab(ds.get_data_info(i)))
        maps = gmm.source_density_maps(
            torch.from_numpy(r['gt_seg_map'].astype(np.int64)),
            torch.from_numpy(r['gt_depth_map']), grid)
        stem = osp.splitext(osp.basename(r['img_path']))[0]
        save_density_maps(maps.numpy(), out_dir, stem, 'npy')
    return (time.perf_counter() - t0) / max(len(ds), 1)


def pipeline(variant: str) -> list:
    head = [dict(type='LoadImageFromFile', imdecode_backend='pillow'),
            dict(type='LoadMappedAnnotations'),
            dict(type='LoadInverseDepth')]
    dens = {
        'no_density': [],
        'npy': [dict(type='LoadSourceDensityMaps')],
        'on_the_fly': [dict(type='ComputeSourceDensityMaps', gmm='c16',
                            scale=SCALE)],
    }[variant]
    return head + dens + [
        dict(type='ResizeWithPad', scale=SCALE, keep_ratio=False),
        dict(type='PackDDAInputs')
    ]


def time_variant(root: str, variant: str, num_images: int,
                 workers: int) -> dict:
    ds = SynthiaDataset(root, num_classes=16, pipeline=pipeline(variant),
                        with_density_maps=(variant == 'npy'))
    n = min(num_images, len(ds))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(ds, range(n)), batch_size=1,
        num_workers=workers, collate_fn=pseudo_collate,
        persistent_workers=False)
    t0 = time.perf_counter()
    first = None
    count = 0
    for batch in loader:
        if first is None:
            first = time.perf_counter() - t0
            sample = batch['data_samples'][0]
        count += 1
    total = time.perf_counter() - t0
    dens = sample.get('gt_density_map')
    return dict(variant=variant, images=count, workers=workers,
                seconds=round(total, 3),
                images_per_s=round(count / total, 2),
                first_batch_s=round(first, 3),
                input_shape=list(batch['inputs'][0].shape),
                density_shape=list(dens.shape) if dens is not None else None)


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='dda_bench_') as tmp:
        root = args.data_root
        gen_s = None
        if root is None:
            t0 = time.perf_counter()
            root = generate_toy_dataset(
                tmp, num_source=args.num_images, num_target=0, num_val=0,
                size=SCALE, seed=0)['synthia']
            gen_s = (time.perf_counter() - t0) / args.num_images
        pre_s = precompute_npy(root)
        rows = [time_variant(root, v, args.num_images, args.workers)
                for v in ('no_density', 'npy', 'on_the_fly')]
    result = dict(
        rows=rows, scale=list(SCALE),
        grid=list(feature_grid_size(SCALE[::-1])),
        toy_generation_s_per_image=gen_s and round(gen_s, 4),
        npy_precompute_s_per_image=round(pre_s, 4),
        torch_threads=torch.get_num_threads(), cpu_count=os.cpu_count(),
        platform=platform.platform(), torch=torch.__version__)
    print(f'{"variant":<12} {"images":>6} {"workers":>7} {"img/s":>8} '
          f'{"first(s)":>9}')
    for r in rows:
        print(f'{r["variant"]:<12} {r["images"]:>6} {r["workers"]:>7} '
              f'{r["images_per_s"]:>8.2f} {r["first_batch_s"]:>9.3f}')
    print(f'npy precompute: {pre_s:.3f} s/image; results -> {args.out}')
    atomic_write_json(args.out, result)


if __name__ == '__main__':
    main()
