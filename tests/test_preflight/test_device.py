"""Device rows: the memory estimate and the measuring step."""
import pytest

import mmseg_dda  # noqa: F401
from mmseg_dda.preflight.device import (MEASURED_PEAK_GIB, check_device,
                                        estimate_peak_gib, measure_step)


def test_estimate_through_the_measured_sizes():
    for hw, (fp32, fast) in MEASURED_PEAK_GIB.items():
        assert estimate_peak_gib(hw) == pytest.approx(fp32)
        assert estimate_peak_gib(hw, fast=True) == pytest.approx(fast)
    assert estimate_peak_gib((320, 640)) < estimate_peak_gib((512, 1024)) \
        < estimate_peak_gib((760, 1280))


def test_measuring_step_runs_the_model(tiny_cfg):
    """The GPU measurement's train_step, on the CPU (peak 0 there)."""
    peak, seconds = measure_step(tiny_cfg, 'cpu')
    assert peak == 0.0 and seconds > 0


def test_ddp_batch_and_lr(tiny_cfg, monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '4')
    tiny_cfg.train_dataloader.batch_size = 2
    row = check_device(tiny_cfg, measure=False)[-1]
    assert row.detail.startswith('world size 4 x batch 2 per GPU = 8 images '
                                 'per step (per domain); segmentor SGD lr '
                                 '0.01, discriminator Adam lr 0.0001')
