"""Benchmark of the density computations (docs/method.md §3, §13.5).

(a) Target density (16 classes, c16, 96x161 grid): vectorised
    :meth:`GMMDensity.target_density_target` vs two per-cell Python
    evaluations of the same formula, with the pdf in pure Python instead of
    the reference's compiled C kernel: one pdf per cell (only the predicted
    class), and the reference's call pattern, one pdf call per cell and
    class (~250k calls per iteration, docs/method.md §13.5). The slow paths
    are timed on a subset of cells and extrapolated to the grid.
(b) Source density-map generation at 1280x760 -> 96x161, 16 classes:
    compute only (in-memory label/depth), and end to end per image (PNG
    decode + compute + atomic ``.npy`` write).

Writes ``bench/results/density.json`` and prints a table.

    python bench/benchmark_density.py [--slow-cells 3000] [--repeats 5]
"""
import argparse
import math
import os
import os.path as osp
import platform
import tempfile
import time

import mmseg_dda  # noqa: E402,F401
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from mmseg_dda.utils.atomic_io import atomic_write_json  # noqa: E402
from mmseg_dda.datasets.formats import (  # noqa: E402
    load_synthia_inverse_depth, save_density_maps)
from mmseg_dda.density import GMMDensity  # noqa: E402

PI = 3.1415926


def _pdf(xx, yy, z, mu_c, var_c, pi_c):
    p = 0.
    for k in range(len(pi_c)):
        prod = pi_c[k]
        for v, m, s2 in zip((xx, yy, z), mu_c[k], var_c[k]):
            s = math.sqrt(s2)
            prod *= math.exp(-0.5 * (v - m)**2 / (s * s)) / (
                math.sqrt(2 * PI) * s)
        p += prod
    return p


def slow_target_density(cls, depth, mu, var, pi, cells):
    """Reference procedure (§3.6) per cell: loop over the classes, mask the
    depth by the predicted class, evaluate the pdf where z > 0, keep the
    maximum over classes, squash; the pdf itself in pure Python."""
    out = []
    for (yy, xx) in cells:
        best = 0.
        for c in range(len(pi)):
            z = depth[yy][xx] if cls[yy][xx] == c else 0.
            p = _pdf(xx, yy, z, mu[c], var[c], pi[c]) if z > 0 else 0.
            best = max(best, p)
        out.append(255 * (1 - math.exp(-1e6 * best)))
    return out


def reference_loop_target_density(cls, depth, mu, var, pi, cells):
    """The reference's call pattern (docs/method.md §3.6, §13.5): for every
    class, one pdf call per cell (C calls per cell, ~250k per iteration on
    96x161x16), the result kept only where the cell is of that class and
    z > 0; maximum over classes, squash. The pdf is pure Python here, not
    the reference's compiled kernel called through ctypes."""
    out = []
    for (yy, xx) in cells:
        best = 0.
        for c in range(len(pi)):
            z = depth[yy][xx] if cls[yy][xx] == c else 0.
            p = _pdf(xx, yy, z, mu[c], var[c], pi[c])
            if z > 0:
                best = max(best, p)
        out.append(255 * (1 - math.exp(-1e6 * best)))
    return out


def median_time(fn, repeats, with_min=False):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    med = float(np.median(times))
    return (med, float(np.min(times))) if with_min else med


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--slow-cells', type=int, default=1500)
    parser.add_argument('--slow-repeats', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--images', type=int, default=4)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (default 1: fair on a shared '
                        'machine; the Python loop is single-threaded)')
    parser.add_argument('--out', default=osp.join(
        osp.dirname(osp.abspath(__file__)), 'results', 'density.json'))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    dens = GMMDensity('c16', num_classes=16)
    h, w = 96, 161

    # (a) target density
    logits = torch.randn(1, 16, h, w)
    depth = torch.rand(1, 1, h, w) * 300
    dens.target_density_target(logits, depth)  # warm-up
    fast, fast_min = median_time(
        lambda: dens.target_density_target(logits, depth), args.repeats * 6,
        with_min=True)
    cls = logits.argmax(1)[0].tolist()
    dep = depth[0, 0].tolist()
    mu, var, pi = dens.mu.tolist(), dens.var.tolist(), dens.pi.tolist()
    all_cells = [(yy, xx) for yy in range(h) for xx in range(w)]
    n_slow = min(args.slow_cells, len(all_cells))
    idx = rng.choice(len(all_cells), n_slow, replace=False)
    cells = [all_cells[i] for i in idx]
    slow_times = []
    for _ in range(args.slow_repeats):
        t = time.perf_counter()
        slow_vals = slow_target_density(cls, dep, mu, var, pi, cells)
        slow_times.append(time.perf_counter() - t)
    slow_subset = float(np.median(slow_times))
    slow_full = slow_subset * len(all_cells) / n_slow
    slow_full_min = min(slow_times) * len(all_cells) / n_slow
    fast_vals = dens.target_density_target(logits, depth)[0, 0]
    max_abs = max(abs(fast_vals[yy, xx].item() - v)
                  for (yy, xx), v in zip(cells, slow_vals))
    # Reference call pattern: C pdf calls per cell, on a smaller subset.
    n_ref = max(1, n_slow // len(pi))
    ref_cells = cells[:n_ref]
    ref_times = []
    for _ in range(args.slow_repeats):
        t = time.perf_counter()
        ref_vals = reference_loop_target_density(cls, dep, mu, var, pi,
                                                 ref_cells)
        ref_times.append(time.perf_counter() - t)
    ref_full = float(np.median(ref_times)) * len(all_cells) / n_ref
    ref_full_min = min(ref_times) * len(all_cells) / n_ref
    ref_max_abs = max(abs(fast_vals[yy, xx].item() - v)
                      for (yy, xx), v in zip(ref_cells, ref_vals))

    # (b) source maps, compute only
    label = torch.from_numpy(rng.integers(0, 17, (760, 1280)))
    label[label == 16] = 255
    inv = torch.from_numpy(
        (65536 / (rng.integers(0, 65536, (760, 1280)) + 1)).astype(np.float32))
    src_compute = median_time(
        lambda: dens.source_density_maps(label, inv, (h, w)), args.repeats)

    # (b) end to end: decode PNGs + compute + write
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.images):
            lp, dp = osp.join(tmp, f'l{i}.png'), osp.join(tmp, f'd{i}.png')
            Image.fromarray(label.numpy().astype(np.uint8)).save(lp)
            cv2.imwrite(dp, rng.integers(0, 65536, (760, 1280)).astype(
                np.uint16))
            paths.append((lp, dp))
        t = time.perf_counter()
        for i, (lp, dp) in enumerate(paths):
            lab = torch.from_numpy(np.array(Image.open(lp)).astype(np.int64))
            d = torch.from_numpy(load_synthia_inverse_depth(dp))
            maps = dens.source_density_maps(lab, d, (h, w))
            save_density_maps(maps.numpy(), tmp, f'o{i}', 'npy')
        e2e = (time.perf_counter() - t) / args.images

    res = dict(
        machine=dict(platform=platform.platform(),
                     torch=torch.__version__,
                     threads=torch.get_num_threads(),
                     cpu_count=os.cpu_count()),
        target_density=dict(
            grid=[h, w], classes=16,
            vectorised_s=fast,
            vectorised_s_min=fast_min,
            python_loop_s_extrapolated=slow_full,
            python_loop_cells_timed=n_slow,
            python_loop_s_subset=slow_subset,
            python_loop_s_extrapolated_min=slow_full_min,
            speedup=slow_full / fast,
            speedup_min_vs_min=slow_full_min / fast_min,
            max_abs_diff_on_subset=max_abs,
            reference_loop_pdf_calls=len(all_cells) * len(pi),
            reference_loop_cells_timed=n_ref,
            reference_loop_s_extrapolated=ref_full,
            reference_loop_s_extrapolated_min=ref_full_min,
            speedup_reference_loop=ref_full / fast,
            speedup_reference_loop_min_vs_min=ref_full_min / fast_min,
            reference_loop_max_abs_diff_on_subset=ref_max_abs,
            note='Python loops are timed on a random subset of cells and '
            'extrapolated linearly to the grid; their pdf is pure Python '
            '(the reference calls a compiled C kernel through ctypes).'),
        source_maps=dict(
            input_hw=[760, 1280], grid=[h, w], classes=16,
            compute_s_per_image=src_compute,
            compute_images_per_s=1 / src_compute,
            end_to_end_s_per_image=e2e,
            end_to_end_images_per_s=1 / e2e,
            end_to_end_images=args.images))
    atomic_write_json(args.out, res)
    td, sm = res['target_density'], res['source_maps']
    rows = [
        ('target density, vectorised (s/it, median)',
         f'{td["vectorised_s"]:.4f}'),
        (f'target density, Python loop (s/it, median, extrapolated from '
         f'{n_slow} of {h * w} cells)', f'{slow_full:.3f}'),
        ('speed-up (median / median)', f'{td["speedup"]:.0f}x'),
        ('speed-up (best / best)', f'{td["speedup_min_vs_min"]:.0f}x'),
        ('max |diff| on timed cells (0..255 scale)', f'{max_abs:.2e}'),
        (f'target density, reference call pattern: {len(pi)} pdf calls per '
         f'cell, {h * w * len(pi)} per it (s/it, median, extrapolated '
         f'from {n_ref} cells)', f'{ref_full:.3f}'),
        ('speed-up vs reference call pattern (median / median)',
         f'{td["speedup_reference_loop"]:.0f}x'),
        ('speed-up vs reference call pattern (best / best)',
         f'{td["speedup_reference_loop_min_vs_min"]:.0f}x'),
        ('max |diff| on those cells (0..255 scale)', f'{ref_max_abs:.2e}'),
        ('source maps, compute (images/s)',
         f'{sm["compute_images_per_s"]:.1f}'),
        ('source maps, decode+compute+write (images/s)',
         f'{sm["end_to_end_images_per_s"]:.1f}'),
    ]
    width = max(len(r[0]) for r in rows)
    print(f'threads={torch.get_num_threads()}')
    for k, v in rows:
        print(f'{k:<{width}}  {v:>10}')
    print('Python loops: timed on a random subset of cells, extrapolated '
          'linearly to the whole grid; pure-Python pdf (the reference calls '
          'a compiled C kernel per pixel and class).')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
