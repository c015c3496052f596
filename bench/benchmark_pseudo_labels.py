"""Throughput of pseudo-label post-processing and of the evaluation metric.

Usage::

    python bench/benchmark_pseudo_labels.py [--repeats 5] [--device cpu]
        [--out bench/results/pseudo_labels.json]

Measures, in images/s:

* pseudo-label post-processing (§8.1, §8.2) from random feature-grid logits:
  bilinear ``align_corners=True`` upsampling + softmax + threshold, then the
  8-connected component filter, at 760x1280 (grid 96x161, 16 classes, the
  expid-1 counts) and 320x640 (grid 41x81, 7 classes, the expid-3 counts);
* ``UDAIoUMetric`` ``process`` + ``compute_metrics`` at 1024x2048 with 16
  classes (and MMSeg's ``IoUMetric.process`` for comparison).

The synthetic logits mimic a prediction: a random class map on a grid 8x
coarser than the feature grid (regions of about 64x64 input pixels), a
margin of 8 for the chosen class and ``N(0, 1.5^2)`` noise on every logit.
The labelled fraction after filtering is printed with the timings.
"""
import argparse
import os
import os.path as osp
import platform
import sys
import time

import mmseg_dda  # noqa: F401  (registers the project's modules)
import numpy as np
import torch
from mmengine.logging import MMLogger
from mmseg.evaluation import IoUMetric

from mmseg_dda.utils.atomic_io import atomic_write_json
from mmseg_dda.evaluation import MIOU13_SUBSET, UDAIoUMetric
from mmseg_dda.pseudo_labels import (filter_small_components,
                                     make_pseudo_label)

# (name, input HxW, feature grid hxw, classes, per-class min_count)
SETTINGS = [
    ('760x1280', (760, 1280), (96, 161), 16,
     [3165, 3311, 5000, 89, 89, 219, 50, 61, 1788, 1202, 762, 123, 730, 302,
      78, 81]),
    ('320x640', (320, 640), (41, 81), 7, [1000, 772, 100, 316, 234, 173, 173]),
]
EVAL_HW = (1024, 2048)
EVAL_CLASSES = 16


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def _synthetic_logits(num_classes: int, grid, gen: torch.Generator
                      ) -> torch.Tensor:
    coarse = torch.randint(0, num_classes, (1, 1, -(-grid[0] // 8),
                                            -(-grid[1] // 8)), generator=gen)
    regions = torch.nn.functional.interpolate(
        coarse.float(), scale_factor=8, mode='nearest')[0, 0].long()
    regions = regions[:grid[0], :grid[1]]
    logits = torch.randn(num_classes, *grid, generator=gen).mul_(1.5)
    logits.scatter_add_(0, regions[None], torch.full((1, *grid), 8.0))
    return logits


def bench_pseudo_labels(repeats: int, device: str, seed: int = 0) -> list:
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for name, out_hw, grid, num_classes, min_count in SETTINGS:
        logits = [_synthetic_logits(num_classes, grid, gen).to(device)
                  for _ in range(repeats)]
        make_pseudo_label(logits[0], out_hw, 0.9, min_count)  # warm-up
        t_thr = t_filter = 0.0
        labelled = 0.0
        for lg in logits:
            _sync(device)
            t0 = time.perf_counter()
            label, _ = make_pseudo_label(lg, out_hw, 0.9, None)
            t1 = time.perf_counter()
            filtered = filter_small_components(label, min_count)
            t2 = time.perf_counter()
            t_thr += t1 - t0
            t_filter += t2 - t1
            labelled += float((filtered != 255).mean())
        rows.append(dict(
            setting=name, classes=num_classes, grid=list(grid),
            images=repeats,
            threshold_ms=1e3 * t_thr / repeats,
            filter_ms=1e3 * t_filter / repeats,
            images_per_s=repeats / (t_thr + t_filter),
            labelled_fraction=labelled / repeats))
    return rows


def bench_metric(repeats: int, seed: int = 0) -> list:
    MMLogger.get_instance('bench_pseudo_labels', log_level='WARNING')
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(repeats):
        pred = torch.from_numpy(
            rng.integers(0, EVAL_CLASSES, size=(1, *EVAL_HW)))
        label = torch.from_numpy(
            rng.integers(0, EVAL_CLASSES, size=(1, *EVAL_HW)))
        label[torch.from_numpy(rng.random((1, *EVAL_HW)) < 0.1)] = 255
        samples.append(dict(pred_sem_seg=dict(data=pred),
                            gt_sem_seg=dict(data=label),
                            img_path=f'img{len(samples)}.png'))
    meta = dict(classes=tuple(f'c{i}' for i in range(EVAL_CLASSES)))
    rows = []
    for name, metric in [
            ('UDAIoUMetric', UDAIoUMetric(subsets=MIOU13_SUBSET,
                                          prefix='bench')),
            ('mmseg IoUMetric', IoUMetric(prefix='bench'))]:
        metric.dataset_meta = meta
        t0 = time.perf_counter()
        for s in samples:
            metric.process({}, [s])
        t1 = time.perf_counter()
        metric.compute_metrics(metric.results)
        t2 = time.perf_counter()
        rows.append(dict(metric=name, resolution=list(EVAL_HW),
                         classes=EVAL_CLASSES, images=repeats,
                         process_ms=1e3 * (t1 - t0) / repeats,
                         compute_ms=1e3 * (t2 - t1),
                         images_per_s=repeats / (t2 - t0)))
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', default=osp.join(
        osp.dirname(osp.abspath(__file__)), 'results', 'pseudo_labels.json'))
    args = parser.parse_args(argv)

    pl_rows = bench_pseudo_labels(args.repeats, args.device)
    metric_rows = bench_metric(args.repeats)
    print(f'{"setting":<10} {"C":>3} {"thr ms":>8} {"filter ms":>10} '
          f'{"img/s":>7} {"labelled":>9}')
    for r in pl_rows:
        print(f'{r["setting"]:<10} {r["classes"]:>3} '
              f'{r["threshold_ms"]:>8.1f} '
              f'{r["filter_ms"]:>10.1f} {r["images_per_s"]:>7.2f} '
              f'{r["labelled_fraction"]:>9.3f}')
    print(f'\n{"metric (1024x2048, 16 cls)":<28} {"process ms":>11} '
          f'{"compute ms":>11} {"img/s":>7}')
    for r in metric_rows:
        print(f'{r["metric"]:<28} {r["process_ms"]:>11.1f} '
              f'{r["compute_ms"]:>11.1f} {r["images_per_s"]:>7.2f}')
    payload = dict(
        pseudo_labels=pl_rows, metric=metric_rows,
        env=dict(python=sys.version.split()[0], torch=torch.__version__,
                 device=args.device, torch_threads=torch.get_num_threads(),
                 cpu_count=os.cpu_count(), machine=platform.machine()))
    atomic_write_json(args.out, payload)
    print(f'\nwritten {args.out}')
    return payload


if __name__ == '__main__':
    main()
