"""Inference throughput of the DDA segmentor at the evaluation resolution.

What ``tools/test.py`` does per Cityscapes val image, minus loading and the
metric: the data preprocessor, the DeepLab-v2 ResNet-101 forward at the
760x1280 network input (``configs/dda/syn2city_16cls.py``, 16 classes, real
widths, random weights), and the logits resized back to the original
1024x2048 with the argmax (``DDA.test_step``, ``mode='predict'``).

Variants, run **interleaved** in one process on one model (its memory
format is switched between the steps; the switch is not timed):

* ``fp32``: the default;
* ``channels_last``: ``DDA(channels_last=True)``: network and inputs in the
  channels-last memory format;
* ``bf16``: ``torch.autocast`` with ``dtype=torch.bfloat16`` (what
  ``test_cfg.fp16=True`` does on the CPU);
* ``bf16_channels_last``: both.

Reported per variant: images/s (median and best of the timed images), the
ratio to fp32, and the share of predicted pixels equal to fp32's. Writes
``bench/results/inference.json``::

    python bench/benchmark_inference.py                 # CPU, 3 images each
    python bench/benchmark_inference.py --device cuda --iters 20
"""
import argparse
import contextlib
import logging
import os
import os.path as osp
import time

import mmseg_dda  # noqa: F401  (registers the project's modules)
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from machine import cpu_name
from smoke_widths import narrow_dda_widths
from mmseg_dda.utils.atomic_io import atomic_write_json
from mmseg_dda.utils.malloc_tuning import apply_malloc_cfg

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
VARIANTS = ('fp32', 'channels_last', 'bf16', 'bf16_channels_last')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--variants', nargs='+', choices=VARIANTS,
                   default=list(VARIANTS))
    p.add_argument('--iters', type=int, default=3, help='timed images')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--size', type=int, nargs=2, default=(760, 1280),
                   metavar=('H', 'W'), help='network input size')
    p.add_argument('--ori-size', type=int, nargs=2, default=(1024, 2048),
                   metavar=('H', 'W'),
                   help='original image size (the prediction size)')
    p.add_argument('--config',
                   default=osp.join(REPO, 'configs/dda/syn2city_16cls.py'))
    p.add_argument('--tiny', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--out',
                   default=osp.join(REPO, 'bench', 'results',
                                    'inference.json'))
    return p.parse_args(argv)


def build_model(cfg_path: str, device: str, tiny: bool):
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmseg')
    apply_malloc_cfg(cfg.env_cfg.get('malloc_cfg'))  # as tools/test.py
    seg = cfg.model.segmentor
    seg.backbone.init_cfg = None
    if tiny:
        narrow_dda_widths(cfg.model)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # one INFO line per parameter
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model.to(device).eval()


def set_memory_format(model, channels_last: bool) -> None:
    model.channels_last = channels_last
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    for module in (model.segmentor, model.discriminator):
        module.to(memory_format=fmt)


def batch(size, ori_size, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    h, w = size
    sample = SegDataSample()
    sample.set_metainfo(dict(img_shape=(h, w), ori_shape=tuple(ori_size),
                             pad_shape=(h, w), scale_factor=(
                                 w / ori_size[1], h / ori_size[0])))
    img = torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8)
    return dict(inputs=[img], data_samples=[sample])


def run(args) -> dict:
    device = args.device
    sync = device == 'cuda'
    model = build_model(args.config, device, args.tiny)
    times = {v: [] for v in args.variants}
    preds = {}
    for it in range(args.warmup + args.iters):
        data = batch(args.size, args.ori_size, seed=it)
        k = it % len(args.variants)
        for v in args.variants[k:] + args.variants[:k]:
            set_memory_format(model, 'channels_last' in v)
            cast = (torch.autocast(device, dtype=torch.bfloat16)
                    if 'bf16' in v else contextlib.nullcontext())
            if sync:
                torch.cuda.synchronize()
            start = time.perf_counter()
            with torch.inference_mode(), cast:
                out = model.test_step(data)
            if sync:
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
            print(f'  image {it} {v}: {elapsed:.2f} s'
                  + (' (warm-up)' if it < args.warmup else ''), flush=True)
            if it == 0:
                preds[v] = out[0].pred_sem_seg.data.cpu()
            if it >= args.warmup:
                times[v].append(elapsed)
    rows = []
    for v in args.variants:
        med = float(np.median(times[v]))
        rows.append(dict(variant=v, median_s=med,
                         min_s=float(np.min(times[v])), all_s=times[v],
                         images_per_s=1. / med,
                         best_images_per_s=1. / float(np.min(times[v]))))
    base = next((r for r in rows if r['variant'] == 'fp32'), None)
    for r in rows:
        if base is not None:
            r['speed_vs_fp32'] = base['median_s'] / r['median_s']
            r['pixels_equal_to_fp32'] = float(
                (preds[r['variant']] == preds['fp32']).float().mean())
        r['prediction_shape'] = list(preds[r['variant']].shape)
    return rows


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no GPU available')
    load = os.getloadavg()
    rows = run(args)
    res = dict(machine=dict(cpu=cpu_name(), cpu_count=os.cpu_count(),
                            torch=torch.__version__,
                            torch_threads=torch.get_num_threads(),
                            gpu=(torch.cuda.get_device_name()
                                 if torch.cuda.is_available() else None)),
               config=osp.relpath(args.config, REPO), device=args.device,
               size=list(args.size), ori_size=list(args.ori_size),
               iters=args.iters, warmup=args.warmup, tiny=args.tiny,
               load_average=list(load), load_average_end=list(
                   os.getloadavg()), variants=rows)
    atomic_write_json(args.out, res)
    print(f"{res['config']}, input {args.size[0]}x{args.size[1]}, "
          f"prediction {args.ori_size[0]}x{args.ori_size[1]}, "
          f"{args.device}, {res['machine']['torch_threads']} threads, load "
          f'average {load[0]:.2f} -> {res["load_average_end"][0]:.2f}')
    print(f"| {'variant':<20} | {'s/image':>8} | {'images/s':>8} | "
          f"{'vs fp32':>7} | {'= fp32 px':>9} |")
    print('|' + '|'.join('-' * n for n in (22, 10, 10, 9, 11)) + '|')
    for r in rows:
        print(f"| {r['variant']:<20} | {r['median_s']:>8.2f} | "
              f"{r['images_per_s']:>8.3f} | "
              f"{r.get('speed_vs_fp32', float('nan')):>6.2f}x | "
              f"{100 * r.get('pixels_equal_to_fp32', float('nan')):>8.2f}%"
              ' |')
    print(f'wrote {args.out}')
    return res


if __name__ == '__main__':
    main()
