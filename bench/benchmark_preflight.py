"""Time tools/preflight.py on a tree of the real datasets' sizes.

Writes (once, reused when present) a SYNTHIA tree with the 9,400 names of
``mmseg_dda/datasets/splits/synthia_all.txt`` (RGB, parsed_LABELS, Depth and
the STEP-1 maps ``source_density_maps/c16/<stem>.npy`` at the real 16x96x161
grid, with a manifest for the GMM set ``c16``) and a Cityscapes tree with the
2,975 + 500 names of ``cityscapes_train.txt`` / ``cityscapes_val.txt``
(leftImg8bit, and gtFine labelIds for val). The files are small images made
by the toy writer (``mmseg_dda/demo/toy``, ``--size``), hard-linked under
the real names, so the tree costs little disk while every listed file
exists; a random DeepLab-v2 ResNet-101 backbone stands in for the ImageNet
checkpoint. Then runs the preflight of ``configs/dda/syn2city_16cls.py`` on
it: the quick part, and ``--full`` with ``--workers`` processes.

Example::

    python bench/benchmark_preflight.py --root /tmp/preflight_tree \
        --workers 2

Prints the times and writes ``bench/results/preflight.json`` (atomically).
"""
import argparse
import os
import os.path as osp
import tempfile
import time

import mmseg_dda  # noqa: F401
import numpy as np
import torch

from mmseg_dda.datasets.base import read_split_file, reference_split_file
from mmseg_dda.demo.toy import generate_toy_dataset
from mmseg_dda.utils.atomic_io import atomic_write_json

from machine import cpu_name

CONFIG = 'configs/dda/syn2city_16cls.py'
GRID = (96, 161)  # c16 at 1280x760
DISTINCT = 16  # distinct toy samples per folder, linked under the names


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', default=osp.join(tempfile.gettempdir(),
                                              'preflight_tree'),
                   help='tree folder (generated when missing)')
    p.add_argument('--size', type=int, nargs=2, default=(128, 76),
                   metavar=('W', 'H'), help='SYNTHIA image size')
    p.add_argument('--workers', type=int, default=2,
                   help='processes of the --full run')
    p.add_argument('--skip-full', action='store_true')
    p.add_argument('--out', default=osp.join(
        osp.dirname(osp.abspath(__file__)), 'results', 'preflight.json'))
    return p.parse_args(argv)


def _link_all(src_files, dst_paths):
    for i, dst in enumerate(dst_paths):
        os.makedirs(osp.dirname(dst), exist_ok=True)
        if not osp.exists(dst):
            os.link(src_files[i % len(src_files)], dst)


def make_tree(root: str, size) -> dict:
    """The SYNTHIA + Cityscapes tree under the real list names."""
    syn, cs = osp.join(root, 'SYNTHIA'), osp.join(root, 'cityscapes')
    done = osp.join(root, '.complete')
    if osp.isfile(done):
        return dict(synthia=syn, cityscapes=cs)
    toy = generate_toy_dataset(osp.join(root, 'toy'), num_source=DISTINCT,
                               num_target=DISTINCT, num_val=DISTINCT,
                               size=tuple(size), seed=0)
    syn_names = read_split_file(reference_split_file('synthia', 'all'))
    for folder in ('RGB', 'parsed_LABELS', 'Depth'):
        src = sorted(osp.join(toy['synthia'], folder, n)
                     for n in os.listdir(osp.join(toy['synthia'], folder)))
        _link_all(src, [osp.join(syn, folder, n) for n in syn_names])
    for split in ('train', 'val'):
        names = read_split_file(reference_split_file('cityscapes', split))
        img_dir = osp.join(toy['cityscapes'], 'leftImg8bit', split)
        src = sorted(osp.join(dp, f) for dp, _, fs in os.walk(img_dir)
                     for f in fs)
        _link_all(src, [osp.join(cs, 'leftImg8bit', split, n)
                        for n in names])
        if split == 'val':
            lab_dir = osp.join(toy['cityscapes'], 'gtFine', split)
            src = sorted(osp.join(dp, f) for dp, _, fs in os.walk(lab_dir)
                         for f in fs)
            _link_all(src, [osp.join(
                cs, 'gtFine', split,
                n.replace('_leftImg8bit.png', '_gtFine_labelIds.png'))
                for n in names])
    write_density_maps(syn, syn_names)
    open(done, 'w').close()
    return dict(synthia=syn, cityscapes=cs)


def write_density_maps(syn: str, names) -> None:
    """One all-zero 16x96x161 map linked under every stem, and the manifest
    STEP 1 would write for GMM set c16 (what the readers compare)."""
    from mmseg_dda.datasets import SynthiaDataset
    from mmseg_dda.density.gmm import load_gmm_params
    from mmseg_dda.datasets.formats.density_maps import is_density_output
    from mmseg_dda.density.manifest import (MANIFEST_KIND,
                                            density_manifest_inputs)
    from mmseg_dda.utils.provenance import prepare_output_dir
    out = osp.join(syn, 'source_density_maps', 'c16')
    os.makedirs(out, exist_ok=True)
    ds = SynthiaDataset(syn, num_classes=16, ann_file='all', pipeline=[],
                        lazy_init=False)
    items = [ds.get_data_info(i) for i in range(len(ds))]
    params = load_gmm_params('c16')
    prepare_output_dir(out, MANIFEST_KIND, density_manifest_inputs(
        items, params, GRID, 'npy', False), is_density_output,
        overwrite=True, log=lambda m: None)
    first = osp.join(out, '.zeros.npy')
    np.save(first, np.zeros((16, *GRID), np.float32))
    _link_all([first], [osp.join(out, osp.splitext(n)[0] + '.npy')
                        for n in names])


def imagenet_checkpoint(root: str) -> str:
    """A random ResNet-101 backbone in the converted ImageNet layout."""
    path = osp.join(root, 'deeplabv2_r101_imagenet.pth')
    if not osp.isfile(path):
        from mmseg.registry import MODELS
        from mmengine.registry import init_default_scope
        init_default_scope('mmseg')
        torch.save(MODELS.build(dict(type='DeepLabV2ResNet',
                                     depth=101)).state_dict(), path)
    return path


def run(argv):
    """One preflight run in this process; ``(seconds, report)``."""
    from mmseg_dda.preflight import run_preflight
    from mmseg_dda.utils.runtime import read_config
    cfg_options, full, workers = argv
    cfg = read_config(CONFIG, cfg_options)
    cfg.work_dir = osp.join(tempfile.gettempdir(), 'preflight_bench_work')
    t0 = time.time()
    report = run_preflight(cfg, CONFIG, full=full, workers=workers,
                           measure_gpu=False)
    return time.time() - t0, report


def main(argv=None):
    args = parse_args(argv)
    t0 = time.time()
    roots = make_tree(args.root, args.size)
    ckpt = imagenet_checkpoint(args.root)
    print(f'tree ready in {time.time() - t0:.0f} s: {args.root}')
    options = {
        'train_dataloader.dataset.source.data_root': roots['synthia'],
        'train_dataloader.dataset.target.data_root': roots['cityscapes'],
        'val_dataloader.dataset.data_root': roots['cityscapes'],
        'imagenet_checkpoint': ckpt,
        'model.segmentor.backbone.init_cfg.checkpoint': ckpt,
    }
    result = dict(config=CONFIG, cpu=cpu_name(), cores=os.cpu_count(),
                  size=list(args.size), files=dict(
                      synthia=9400, cityscapes_train=2975,
                      cityscapes_val=500))
    for name, full in (('quick', False), ('full', True)):
        if full and args.skip_full:
            continue
        secs, report = run((options, full, args.workers))
        print(report.table())
        result[name] = dict(seconds=round(secs, 1), ok=report.ok,
                            workers=args.workers if full else 1,
                            failures=[c.name for c in report.failures])
        print(f'== {name}: {secs:.1f} s, ok={report.ok}')
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    atomic_write_json(args.out, result)
    print(result)


if __name__ == '__main__':
    main()
