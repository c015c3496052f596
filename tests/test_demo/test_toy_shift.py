"""The demo's toy domain shift: same depth layout, different appearance.

With ``source_view='car'`` the toy SYNTHIA images are seen from the toy
Cityscapes camera, so the two domains share where things are and how far
away they are; only the look (colour, texture, haze, noise) differs.
"""
import numpy as np
import pytest

import mmseg_dda  # noqa: F401
from mmseg_dda.demo.toy import make_sample

ROWS = np.linspace(0.05, 0.85, 9)  # above the Cityscapes ego hood
N = 12


def _profile(domain, size, view='elevated'):
    """Mean inverse depth (sky 0) at normalised rows, over N samples."""
    out = []
    for i in range(N):
        _, _, depth = make_sample(domain, size, 0, 'train', i, view)
        inv = np.where(np.isfinite(depth), 1.0 / depth, 0.0)
        rows = (ROWS * depth.shape[0]).astype(int)
        out.append(inv[rows].mean(1))
    return np.mean(out, 0)


def _colourfulness(domain, size, view='car'):
    rgbs = [make_sample(domain, size, 0, 'train', i, view)[0]
            for i in range(N)]
    return float(np.mean([rgb.astype(np.float32).std(-1).mean()
                          for rgb in rgbs]))


def test_car_view_shares_the_target_depth_layout():
    target = _profile('cityscapes', (64, 32))
    car = _profile('synthia', (64, 38), 'car')
    elevated = _profile('synthia', (64, 38), 'elevated')
    assert np.abs(car - target).sum() < 0.5 * np.abs(elevated -
                                                     target).sum()


def test_domains_still_differ_in_appearance():
    # Saturated "game" colours against a desaturated, hazy target.
    assert _colourfulness('synthia', (64, 38)) > \
        1.5 * _colourfulness('cityscapes', (64, 32))


def test_unknown_source_view():
    with pytest.raises(ValueError, match="source_view must be one of.*'top'"):
        make_sample('synthia', (32, 19), 0, 'all', 0, 'top')
