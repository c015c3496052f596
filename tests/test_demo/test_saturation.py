"""mmseg_dda.demo.saturation on a hand-computed 1x2 grid."""
import math

import numpy as np
import pytest
import torch

from mmseg_dda.demo.saturation import saturation
from mmseg_dda.density.gmm import REFERENCE_PI, GMMDensity, GMMParams


def _density(scale):
    # Class 0 at (x=0, y=0, z=10), class 1 at (x=1, y=0, z=10), unit
    # variances, one component each.
    params = GMMParams(
        mu=torch.tensor([[[0.0, 0.0, 10.0]], [[1.0, 0.0, 10.0]]]),
        var=torch.ones(2, 1, 3), pi=torch.ones(2, 1), squash_scale=scale)
    return GMMDensity(params)


LABELS = np.array([[[0, 1]]], np.uint8)
DEPTHS = np.full((1, 1, 2), 10.0, np.float32)
PEAK = (2 * REFERENCE_PI)**-1.5  # pdf at a component's mean: 0.0635


def test_large_scale_saturates_every_class():
    s = saturation(_density(1e6), LABELS, DEPTHS, (1, 2))
    # Own class at its mean; the other class one cell away (e^-0.5 PEAK):
    # both far above 242.25 after 255 (1 - exp(-1e6 p)).
    assert s['in_class'] == 1.0 and s['wrong_class'] == 1.0


def test_small_scale_hand_computed():
    s = saturation(_density(1.0), LABELS, DEPTHS, (1, 2))
    own = 255 * (1 - math.exp(-PEAK))
    other = 255 * (1 - math.exp(-PEAK * math.exp(-0.5)))
    assert s['in_class'] == 0.0 and s['wrong_class'] == 0.0
    assert s['in_class_median'] == pytest.approx(own, rel=1e-5)
    assert s['wrong_class_median'] == pytest.approx(other, rel=1e-5)


def test_ignored_cells_are_left_out():
    labels = np.array([[[0, 255]]], np.uint8)
    s = saturation(_density(1.0), labels, DEPTHS, (1, 2))
    assert s['in_class_median'] == pytest.approx(
        255 * (1 - math.exp(-PEAK)), rel=1e-5)
