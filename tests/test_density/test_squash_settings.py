"""squash_scale and the variance floor (docs/method.md §3.3)."""
import json
import math

import numpy as np
import pytest
import torch

from mmseg_dda.density.fitting import fit_class_gmms, gmm_json
from mmseg_dda.density.gmm import (SQUASH_SCALE, GMMDensity,
                                   grid_squash_scale, load_gmm_params,
                                   squash_density)


def test_reference_sets_keep_the_reference_scale():
    for name in ('c16', 'c7', 'c7small'):
        assert GMMDensity(name).squash_scale == SQUASH_SCALE == 1e6


def test_grid_rule_hand_computed():
    assert grid_squash_scale((96, 161)) == 1e6
    # 13 * 21 = 273 cells of 96 * 161 = 15456: 1e6 * 273 / 15456.
    assert grid_squash_scale((13, 21)) == pytest.approx(17663.0435, rel=1e-8)
    with pytest.raises(ValueError, match='invalid grid'):
        grid_squash_scale((0, 5))


def test_squash_scale_used_by_target_density():
    logits = torch.zeros(1, 7, 2, 3)
    logits[:, 0] = 1.0  # class 0 everywhere
    depth = torch.full((1, 1, 2, 3), 20.0)
    ref = GMMDensity('c7')
    half = GMMDensity('c7', squash_scale=5e5)
    d_ref = ref.target_density_target(logits, depth).double()
    d_half = half.target_density_target(logits, depth).double()
    # 255 (1 - e^{-s p}): with p from D_ref, D_half = 255 (1 - e^{-s p / 2}).
    p = -torch.log1p(-d_ref / 255) / 1e6
    expected = 255 * (1 - torch.exp(-5e5 * p))
    assert torch.allclose(d_half, expected, rtol=1e-4, atol=1e-3)
    assert half.squash(np.array(2e-6)) == pytest.approx(
        255 * (1 - math.exp(-1.0)))
    assert ref.squash(np.array(2e-6)) == squash_density(np.array(2e-6))


def _set(tmp_path, **extra):
    entry = dict(mu=[[[1.0, 2.0, 3.0]]], var=[[[1.0, 1.0, 1.0]]],
                 pi=[[1.0]], **extra)
    path = tmp_path / 'g.json'
    path.write_text(json.dumps({'s': entry}))
    return str(path)


def test_fitted_set_carries_its_scale(tmp_path):
    params = load_gmm_params(_set(tmp_path, squash_scale=1234.5))
    assert params.squash_scale == 1234.5
    assert GMMDensity(params).squash_scale == 1234.5
    # An explicit setting wins over the stored one.
    assert GMMDensity(params, squash_scale=10).squash_scale == 10.0
    assert load_gmm_params(_set(tmp_path)).squash_scale is None


@pytest.mark.parametrize('bad', [-1, 0, 'x', float('inf')])
def test_bad_scale_names_file_and_setting(tmp_path, bad):
    path = _set(tmp_path, squash_scale=bad if bad != float('inf') else 1e999)
    with pytest.raises(ValueError, match=r"g\.json.*'s'.*squash_scale"):
        load_gmm_params(path)
    with pytest.raises(ValueError, match='GMMDensity: squash_scale'):
        GMMDensity('c7', squash_scale=bad)


def _points(rng):
    # Class 0: spread points; class 1: all at z = 1.0 (like the sky).
    a = rng.normal([5, 5, 30], [2, 2, 5], (200, 3))
    b = np.c_[rng.normal(5, 2, (200, 2)), np.ones(200)]
    return [a.astype(np.float32), b.astype(np.float32)]


def test_variance_floor_in_data_units():
    pts = _points(np.random.default_rng(0))
    plain = fit_class_gmms(pts, 2)
    floored = fit_class_gmms(pts, 2, var_floor=(0.25, 0.25, 1.0))
    # Without a floor the constant z gets reg_covar (1e-6, sklearn adds it).
    assert max(v[2] for v in plain['var'][1]) < 1e-5
    assert all(v[2] == 1.0 for v in floored['var'][1])
    # The floor only raises variances below it.
    assert np.array_equal(np.array(floored['var']), np.maximum(
        np.array(plain['var']), [0.25, 0.25, 1.0]))
    assert np.all(np.array(floored['var']) >= [0.25, 0.25, 1.0])
    assert floored['mu'] == plain['mu']
    with pytest.raises(ValueError, match='var_floor'):
        fit_class_gmms(pts, 2, var_floor=(1.0, -1.0, 1.0))


def test_gmm_json_stores_scale():
    fitted = dict(mu=[[[0, 0, 0]]], var=[[[1, 1, 1]]], pi=[[1.0]])
    out = gmm_json('s', fitted, (13, 21), None, {}, squash_scale=17663.0)
    assert out['s']['squash_scale'] == 17663.0
    assert '17663' in out['_meta']['squash']
    assert 'squash_scale' not in gmm_json('s', fitted, (13, 21), None,
                                          {})['s']


def test_dda_refuses_maps_of_another_scale():
    """bad_inputs D21: maps squashed with 1e6 for a prior of another scale."""
    import mmseg_dda  # noqa: F401
    from mmseg.structures import SegDataSample

    from _tiny_models import build_tiny, tiny_dda_cfg
    cfg = tiny_dda_cfg(7)
    cfg['density']['squash_scale'] = 2e4
    model = build_tiny(cfg)
    sample = SegDataSample(metainfo=dict(density_squash_scale=1e6))
    with pytest.raises(ValueError, match=(
            r"squash_scale=1e\+06 but the GMM prior 'c7' uses 20000; set "
            r'LoadSourceDensityMaps\(squash_scale=20000\)')):
        model._check_squash_scale([sample])
    sample.set_metainfo(dict(density_squash_scale=2e4))
    model._check_squash_scale([sample])  # the same scale passes


def test_loading_transform_records_its_scale(tmp_path):
    from mmseg_dda.datasets.transforms.loading import LoadSourceDensityMaps
    maps = np.full((7, 2, 3), 1e-5, np.float32)
    np.save(tmp_path / 'm.npy', maps)
    t = LoadSourceDensityMaps(squash_scale=1e5)
    out = t.transform(dict(density_map_path=str(tmp_path / 'm.npy'),
                           num_classes=7))
    assert out['density_squash_scale'] == 1e5
    assert out['gt_density_map'][0, 0, 0] == pytest.approx(
        255 * (1 - math.exp(-1.0)), rel=1e-6)
    assert 'squash_scale' not in repr(LoadSourceDensityMaps())
    with pytest.raises(ValueError, match='LoadSourceDensityMaps: '
                       'squash_scale must be a finite number > 0'):
        LoadSourceDensityMaps(squash_scale=0)
