"""tools/fit_gmm.py on tiny synthesised SYNTHIA data."""
import json

import numpy as np
import pytest

import mmseg_dda  # noqa: F401
from mmseg_dda.density import GMMDensity, load_gmm_params
from mmseg_dda.density.fitting import BottomKSampler, grid_points

from _fake_synthia import write_fake_synthia
from _helpers import load_tool

def _config(tmp_path, root):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'''
default_scope = 'mmseg'
model = dict(density=dict(params='c7', num_classes=7))
train_dataloader = dict(dataset=dict(
    type='SourceTargetDataset',
    source=dict(type='SynthiaDataset', data_root={str(root)!r},
                num_classes=7, ann_file='', with_density_maps=True,
                pipeline=[]),
    target=dict(type='CityscapesUDADataset')))
''')
    return cfg


def test_fit_writes_loadable_json(tmp_path, capsys):
    root = tmp_path / 'SYNTHIA'
    write_fake_synthia(root)
    out = tmp_path / 'fitted.json'
    rc = load_tool('fit_gmm').main([
        str(_config(tmp_path, root)), '--out', str(out), '--grid', '10', '18',
        '--samples-per-class', '50', '--seed', '1', '--set-name', 'tiny'
    ])
    assert rc == 0 and 'wrote' in capsys.readouterr().out
    p = load_gmm_params(str(out))
    assert p.name == 'tiny' and p.grid_hw == (10, 18)
    assert p.mu.shape == (7, 5, 3) and p.class_names[0] == 'flat'
    np.testing.assert_allclose(p.pi.sum(1).numpy(), 1, atol=1e-5)
    assert (p.var >= 1e-6).all()
    meta = json.loads(out.read_text())['_meta']
    assert meta['source']['fitted_points_per_class'] == [50] * 7
    # Class c lies in band c: its weighted mean column and inverse depth.
    for c in range(7):
        mean = (p.pi[c, :, None] * p.mu[c]).sum(0).numpy()
        cols = [x for x in range(18) if (x * 72 // 18 + 2) * 7 // 72 == c]
        assert min(cols) - 1 <= mean[0] <= max(cols) + 1
        assert mean[2] == pytest.approx(10 * (c + 1), abs=2)
    assert GMMDensity(str(out), num_classes=7).num_classes == 7


def test_fit_with_grid_scale_and_variance_floor(tmp_path):
    root = tmp_path / 'SYNTHIA'
    write_fake_synthia(root)
    out = tmp_path / 'fitted.json'
    assert load_tool('fit_gmm').main([
        str(_config(tmp_path, root)), '--out', str(out), '--grid', '10', '18',
        '--samples-per-class', '50', '--squash-scale', 'grid',
        '--var-floor', '0.25', '0.25', '2.0']) == 0
    p = load_gmm_params(str(out))
    # 1e6 * 10 * 18 / (96 * 161) = 11645.96...
    assert p.squash_scale == pytest.approx(1e6 * 180 / 15456)
    assert GMMDensity(p).squash_scale == p.squash_scale
    assert (p.var[..., :2] >= 0.25).all() and (p.var[..., 2] >= 2.0).all()
    data = json.loads(out.read_text())
    assert data['_meta']['source']['var_floor'] == [0.25, 0.25, 2.0]
    # Without the options: no stored scale (the reference's 1e6 applies).
    load_tool('fit_gmm').main([
        str(_config(tmp_path, root)), '--out', str(out), '--grid', '10', '18',
        '--samples-per-class', '50'])
    assert load_gmm_params(str(out)).squash_scale is None


def test_too_few_points_error(tmp_path):
    root = tmp_path / 'SYNTHIA'
    write_fake_synthia(root, n=1, size=(8, 14))
    with pytest.raises(ValueError, match='too few grid points'):
        load_tool('fit_gmm').main([
            str(_config(tmp_path, root)), '--out', str(tmp_path / 'x.json'),
            '--grid', '2', '3'
        ])
    assert not (tmp_path / 'x.json').exists()


def test_grid_points_convention():
    label = np.full((4, 6), 255)
    label[1, 4] = 2
    depth = np.full((4, 6), 7., np.float32)
    pts = grid_points(label, depth, (4, 6), 3)
    assert pts[0].shape == (0, 3)
    np.testing.assert_array_equal(pts[2], [[4, 1, 7]])  # x=col, y=row


def test_bottom_k_sampler_is_uniform_subset():
    s = BottomKSampler(10, np.random.default_rng(0))
    for start in range(0, 100, 7):
        s.add(np.arange(start, min(start + 7, 100), dtype=np.float32)[:, None]
              .repeat(3, 1))
    got = s.result()[:, 0]
    assert len(got) == 10 and len(set(got)) == 10 and s.seen == 100
