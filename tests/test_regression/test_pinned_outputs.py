"""Regression pins: today's numeric outputs must stay bit-identical.

The network, the density maths and the training step were checked against
the reference implementation; every later change (refactors, speed-ups,
new backbones) must leave these outputs unchanged. The pinned values are in
``tests/data/regression/pinned_outputs_<platform>.npz``, computed with one
CPU thread from unchanged code on each platform.

The last bits depend on the platform: oneDNN, MKL and ATen pick their
kernels by CPU vendor and instruction set, and different kernels sum in a
different order. So the pins are kept per platform
(:func:`mmseg_dda.utils.numeric_platform.numeric_platform`):
on a platform with pins the outputs must be bit-identical; on every platform
they must agree with all pins up to rounding (float32 rounding amplified by
the narrow network, tolerances in :data:`TOLERANCES`).

Pinned, on fixed seeds and tiny inputs:

* the DeepLab-v2 ResNet-101 segmentor (narrow widths): the three head outputs
  of ``forward_heads`` and ``predict``'s outputs at the original size;
* the GMM density: source density maps of one label/depth pair (``c16``),
  the source density target and the target density target;
* one ``DDA.train_step``: its losses and every parameter and buffer after
  the two optimiser steps.

Only an issue that asks for a numeric change may regenerate the pins, and a
new platform may only add its own from a commit whose pins pass elsewhere:
``python tests/test_regression/test_pinned_outputs.py --regenerate``.
"""
import mmseg_dda  # noqa: F401
import argparse
import contextlib
import sys
from pathlib import Path
from typing import Dict

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_dda.utils import malloc_tuning
from mmseg_dda.utils.malloc_tuning import DEFAULT_MALLOC_CFG, apply_malloc_cfg
from mmseg_dda.utils.numeric_platform import numeric_platform

if __name__ == '__main__':  # run as a script: find the shared test helpers
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _tiny_models import (REFERENCE_LOSS_WEIGHTS,  # noqa: E402
                          preprocessor_cfg, tiny_dda_cfg, tiny_segmentor_cfg)

PINS_DIR = Path(__file__).resolve().parents[1] / 'data' / 'regression'
C = 7
H, W = 76, 128  # the SYNTHIA aspect ratio: exercises the ceil_mode grid


def pins_path(platform_key: str) -> Path:
    return PINS_DIR / f'pinned_outputs_{platform_key}.npz'


def load_pins(path: Path) -> Dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


#: Cross-platform agreement, per group: max |a - b| <= tol * max |b| per
#: array. Observed between the two pinned platforms: 3e-6 (network outputs),
#: 2e-12 (density), 3e-4 (losses) and 1.5e-2 (weights after one SGD step
#: with lr 0.1, which amplifies rounding in the gradients).
TOLERANCES = {'seg.': 1e-4, 'density.': 1e-9, 'step.log.': 3e-3,
              'step.state.': 0.1}


@contextlib.contextmanager
def one_thread():
    """Pins are computed with one thread: reductions then run in one order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def segmentor_cfg(num_classes: int = C) -> dict:
    """The narrow DeepLab-v2 ResNet-101 segmentor, with its preprocessor."""
    cfg = tiny_segmentor_cfg(num_classes, width=2,
                             backbone=dict(depth=101))
    cfg['data_preprocessor'] = preprocessor_cfg((H, W))
    return cfg


def dda_cfg() -> dict:
    """DDA over :func:`segmentor_cfg`, the reference's loss weights."""
    return tiny_dda_cfg(C, tiny_segmentor_cfg(C, width=2,
                                              backbone=dict(depth=101)),
                        data_preprocessor=preprocessor_cfg((H, W)),
                        loss_weights=dict(REFERENCE_LOSS_WEIGHTS))


def build(cfg: dict) -> nn.Module:
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    # Larger weights than the reference init so that the narrow network's
    # outputs are not vanishingly small (then every bit of them matters).
    torch.manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=0.3)
    return model


def images(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, (3, H, W), generator=g, dtype=torch.uint8)
            for _ in range(n)]


def segmentor_outputs() -> Dict[str, np.ndarray]:
    model = build(segmentor_cfg()).eval()
    inputs = images(2, seed=10)
    samples = []
    for _ in inputs:
        s = SegDataSample()
        s.set_metainfo(dict(img_shape=(H, W), ori_shape=(H + 10, W + 20)))
        samples.append(s)
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=inputs, data_samples=samples), False)
        heads = model.forward_heads(data['inputs'])
        preds = model.predict(data['inputs'], data['data_samples'])
    out = {f'seg.{k}': v.numpy() for k, v in heads.items() if v is not None}
    for i, p in enumerate(preds):
        for key in p.keys():
            value = getattr(p, key)
            if isinstance(value, PixelData):
                out[f'seg.predict{i}.{key}'] = value.data.numpy()
    return out


def density_outputs() -> Dict[str, np.ndarray]:
    from mmseg_dda.density.gmm import GMMDensity
    g = torch.Generator().manual_seed(20)
    density = GMMDensity('c16', num_classes=16)
    label = torch.randint(0, 16, (760, 1280), generator=g)
    label[:40] = 255
    raw = torch.randint(0, 65535, (760, 1280), generator=g)
    inv_depth = 65536. / (raw.float() + 1)
    grid = (96, 161)
    maps = density.source_density_maps(label, inv_depth, grid)
    squashed = 255. * (1. - torch.exp(-1e6 * maps.double()))
    squashed = squashed.float().unsqueeze(0)
    logits = torch.randn(1, 16, *grid, generator=g)
    pred_depth = torch.rand(1, 1, *grid, generator=g) * 600 - 20
    return {
        'density.source_maps': maps.numpy(),
        'density.source_target': density.source_density_target(
            squashed, logits).numpy(),
        'density.target_target': density.target_density_target(
            logits, pred_depth).numpy(),
    }


def train_batch() -> dict:
    g = torch.Generator().manual_seed(30)
    grid = (10, 17)  # feature grid of 76x128 (ceil_mode max-pool)
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=torch.randint(0, C, (1, H, W), generator=g))
    s.gt_sem_seg.data[0, :4] = 255
    s.gt_depth_map = PixelData(
        data=65536. / (torch.rand(1, H, W, generator=g) * 5000 + 1))
    s.gt_density_map = PixelData(data=torch.rand(C, *grid, generator=g) * 255)
    s.set_metainfo(dict(img_shape=(H, W), ori_shape=(H, W)))
    t = SegDataSample()
    t.set_metainfo(dict(img_shape=(H, W), ori_shape=(H, W)))
    return dict(inputs=images(1, seed=31), data_samples=[s],
                target_inputs=images(1, seed=32), target_data_samples=[t])


def train_step_outputs() -> Dict[str, np.ndarray]:
    model = build(dda_cfg()).train()
    wrappers = build_optim_wrapper(
        model,
        dict(constructor='MultiOptimWrapperConstructor',
             segmentor=dict(type='OptimWrapper', optimizer=dict(
                 type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)),
             discriminator=dict(type='OptimWrapper', optimizer=dict(
                 type='Adam', lr=1e-2, betas=(0.9, 0.99)))))
    MessageHub.get_current_instance().update_info('iter', 0)
    log = model.train_step(train_batch(), wrappers)
    out = {f'step.log.{k}': v.detach().numpy() for k, v in log.items()}
    for k, v in model.state_dict().items():
        out[f'step.state.{k}'] = v.detach().numpy()
    return out


def compute_all() -> Dict[str, np.ndarray]:
    with one_thread():
        out = {}
        out.update(segmentor_outputs())
        out.update(density_outputs())
        out.update(train_step_outputs())
    return out


@pytest.fixture(scope='module')
def current():
    return compute_all()


ALL_PINS = sorted(PINS_DIR.glob('pinned_outputs_*.npz'))


@pytest.fixture(scope='module')
def pinned():
    path = pins_path(numeric_platform())
    if not path.is_file():
        pytest.skip(
            f'no bit-exact pins for this platform ({numeric_platform()}); '
            f'pinned: {[p.stem for p in ALL_PINS]}. The cross-platform '
            'test still runs. Record pins from a commit whose pins pass '
            'on a pinned platform: python tests/test_regression/'
            'test_pinned_outputs.py --regenerate')
    return load_pins(path)


def differences(current, pins, group, tol=None):
    """Keys of ``group`` that differ: bit for bit, or beyond ``tol``."""
    keys = sorted(k for k in pins if k.startswith(group))
    assert keys, f'no pinned outputs for {group}'
    assert sorted(k for k in current if k.startswith(group)) == keys
    different = []
    for k in keys:
        a, b = current[k], pins[k]
        if a.shape != b.shape or a.dtype != b.dtype:
            different.append(f'{k}: {a.dtype}{a.shape} != {b.dtype}{b.shape}')
            continue
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        if tol is None and not np.array_equal(a, b, equal_nan=True):
            different.append(f'{k}: max |diff| {np.nanmax(diff):.3g}')
        elif tol is not None and not (
                np.nanmax(diff, initial=0) <= tol * np.nanmax(
                    np.abs(b), initial=0)):
            different.append(f'{k}: max |diff| {np.nanmax(diff):.3g}, '
                             f'scale {np.nanmax(np.abs(b)):.3g}')
    return different


GROUPS = ['seg.', 'density.', 'step.log.', 'step.state.']


@pytest.mark.parametrize('group', GROUPS)
def test_outputs_bit_identical(current, pinned, group):
    different = differences(current, pinned, group)
    assert not different, 'outputs changed:\n' + '\n'.join(different)


@pytest.mark.parametrize('path', ALL_PINS, ids=lambda p: p.stem)
@pytest.mark.parametrize('group', GROUPS)
def test_outputs_agree_with_every_platform(current, path, group):
    different = differences(current, load_pins(path), group,
                            TOLERANCES[group])
    assert not different, (f'outputs differ from {path.name} beyond '
                           'rounding:\n' + '\n'.join(different))


@pytest.mark.parametrize('path', ALL_PINS, ids=lambda p: p.stem)
def test_pins_are_not_trivial(path):
    # A pin of zeros or constants would not catch a change.
    pins = load_pins(path)
    for k in ('seg.seg_logits', 'seg.depth', 'seg.density',
              'density.source_maps', 'density.target_target'):
        assert np.std(pins[k]) > 0, k
    assert pins['step.log.loss'] > 0


def test_two_platforms_are_pinned():
    assert len(ALL_PINS) >= 2, ALL_PINS


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--regenerate', action='store_true')
    if parser.parse_args().regenerate:
        path = pins_path(numeric_platform())
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **compute_all())
        print(f'wrote {path}')


#: glibc's documented defaults (mallopt(3)), set before the comparison run:
#: earlier tests may have applied the project's setting to this process.
GLIBC_DEFAULTS = dict(mmap_max=65536, mmap_threshold=128 * 1024,
                      trim_threshold=128 * 1024)


@pytest.mark.skipif(malloc_tuning._libc() is None, reason='needs glibc')
def test_allocator_setting_changes_no_number(current):
    """``env_cfg.malloc_cfg`` (the default) hands out reused memory where
    glibc's defaults give fresh zero-filled pages: an operation that read
    memory it never wrote would differ between the two runs."""
    runs = []
    for cfg in (GLIBC_DEFAULTS, DEFAULT_MALLOC_CFG):
        assert apply_malloc_cfg(cfg)
        with one_thread():
            runs.append(train_step_outputs())
    keys = [k for k in current if k.startswith('step.')]
    for run in runs:
        assert not [k for k in keys if not np.array_equal(run[k], current[k])]
