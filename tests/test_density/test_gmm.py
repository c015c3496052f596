import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg.registry import MODELS
from mmseg_dda.density import (GMMDensity, GMMParams, gmm_pdf,
                               load_gmm_params, squash_density)
from mmseg_dda.density.gmm import BUILTIN_PARAMS_FILE

F32 = np.float32


def _slow_pdf(x, y, z, mu, var, pi):
    """Plain per-point evaluation of docs/method.md §3.2 in Python."""
    total = 0.0
    for k in range(len(pi)):
        prod = float(F32(pi[k]))
        for v, m, s2 in zip((x, y, z), mu[k], var[k]):
            s = float(F32(math.sqrt(s2)))
            d = float(F32(v)) - float(F32(m))
            prod *= math.exp(-0.5 * d * d / (s * s)) / (
                math.sqrt(2 * 3.1415926) * s)
        total += prod
    return total


def _toy_params(num_classes=3, grid_hw=(6, 9), seed=0):
    """Mixtures whose means lie on a small grid, with one degenerate z."""
    g = torch.Generator().manual_seed(seed)
    h, w = grid_hw
    k = 5
    mu = torch.stack([
        torch.rand(num_classes, k, generator=g) * (w - 1),
        torch.rand(num_classes, k, generator=g) * (h - 1),
        torch.rand(num_classes, k, generator=g) * 50 + 1
    ], -1)
    var = torch.stack([
        torch.rand(num_classes, k, generator=g) * 4 + 0.5,
        torch.rand(num_classes, k, generator=g) * 4 + 0.5,
        torch.rand(num_classes, k, generator=g) * 200 + 1
    ], -1)
    var[:, 0, 2] = 1e-6
    pi = torch.rand(num_classes, k, generator=g) + 0.1
    pi = pi / pi.sum(1, keepdim=True)
    return GMMParams(mu=mu.float(), var=var.float(), pi=pi.float(),
                     name='toy', grid_hw=grid_hw)


def test_builtin_sets_and_meta():
    p16 = load_gmm_params('c16')
    assert p16.mu.shape == (16, 5, 3) and p16.pi.shape == (16, 5)
    assert p16.mu.dtype == torch.float32
    assert p16.grid_hw == (96, 161)
    assert p16.class_names[0] == 'road' and p16.class_names[-1] == 'bicycle'
    small = load_gmm_params('c7small')
    assert small.grid_hw == (41, 81) and small.num_classes == 7
    np.testing.assert_allclose(small.pi.sum(1).numpy(), 1, atol=1e-4)


def test_package_json_equals_reference_transcription():
    # A frozen copy of the reference values (tests/data/README.md): guards
    # the package file against accidental edits.
    ref = Path(__file__).parents[1] / 'data' / 'reference' / 'gmm_params.json'
    assert json.loads(ref.read_text()) == json.loads(
        Path(BUILTIN_PARAMS_FILE).read_text())


def test_pdf_at_component_mean_hand_computed():
    data = json.loads(Path(BUILTIN_PARAMS_FILE).read_text())['c16']
    mu, var, pi = data['mu'][0], data['var'][0], data['pi'][0]
    x, y, z = mu[0]
    p = load_gmm_params('c16')
    got = gmm_pdf(x, y, z, p.mu[0], p.var[0], p.pi[0]).item()
    # Component 0 alone: pi0 / ((2 PI)^1.5 sx sy sz), about 1.6e-6 (§3.3).
    peak0 = pi[0] / ((2 * 3.1415926)**1.5 * math.sqrt(
        var[0][0] * var[0][1] * var[0][2]))
    assert 1.5e-6 < peak0 < 1.7e-6
    assert got >= peak0 * (1 - 1e-6)
    assert got == pytest.approx(_slow_pdf(x, y, z, mu, var, pi), rel=1e-6)


def test_pdf_broadcasting_and_dtype():
    p = load_gmm_params('c7')
    z = torch.full((7, 2, 3), 30.)
    x = torch.arange(3.).view(1, 1, 3)
    y = torch.arange(2.).view(1, 2, 1)
    out = gmm_pdf(x, y, z, p.mu, p.var, p.pi)
    assert out.shape == (7, 2, 3) and out.dtype == torch.float32
    data = json.loads(Path(BUILTIN_PARAMS_FILE).read_text())['c7']
    for c in range(7):
        assert out[c, 1, 2].item() == pytest.approx(
            _slow_pdf(2, 1, 30., data['mu'][c], data['var'][c],
                      data['pi'][c]), rel=1e-6, abs=1e-40)
    with pytest.raises(ValueError, match='inconsistent'):
        gmm_pdf(x, y, z, p.mu, p.var[:, :4], p.pi)


def test_squash_range_and_saturation():
    p = torch.tensor([0., 1e-6, 1e-5, 18e-6, 1.], dtype=torch.float32)
    d = squash_density(p)
    assert d[0] == 0
    assert d[1].item() == pytest.approx(255 * (1 - math.exp(-1)), rel=1e-6)
    assert torch.all(d[1:4] > d[:3])
    assert d[3] == 255. and d[4] == 255.  # float32 saturates once 1e6 p > ~17.3
    assert d.max() <= 255.
    npd = squash_density(np.array([1e-6], dtype=np.float32))
    assert npd.dtype == np.float32


def test_x_is_column_y_is_row():
    # Peak at column 5, row 1; var_z large so the squashed target stays
    # below saturation (peak pdf about 1.6e-6).
    mu = torch.tensor([[[5., 1., 10.]] * 5])
    var = torch.tensor([[[4., 4., 1e8]] * 5])
    pi = torch.full((1, 5), 0.2)
    dens = GMMDensity(GMMParams(mu=mu, var=var, pi=pi, name='one'))
    label = torch.zeros(8, 8, dtype=torch.long)
    depth = torch.full((8, 8), 10.)
    maps = dens.source_density_maps(label, depth, (8, 8))
    row, col = np.unravel_index(int(maps[0].argmax()), (8, 8))
    assert (row, col) == (1, 5)
    assert maps[0, 1, 5] > 10 * maps[0, 5, 1]
    tgt = dens.target_density_target(torch.zeros(1, 1, 8, 8),
                                     depth.view(1, 1, 8, 8))
    assert 0 < tgt.max() < 255
    assert tuple(np.unravel_index(int(tgt[0, 0].argmax()), (8, 8))) == (1, 5)
    assert tgt[0, 0, 1, 5] > 10 * tgt[0, 0, 5, 1]


def _slow_source_maps(label, dep, params, grid_hw):
    """Reference procedure of §3.4 with PIL and a per-cell Python loop."""
    h, w = grid_hw
    mu, var, pi = (params.mu.double().numpy(), params.var.double().numpy(),
                   params.pi.double().numpy())
    out = np.zeros((params.num_classes, h, w), np.float32)
    for c in range(params.num_classes):
        dep_a = dep * (label == c)
        grid = np.array(
            Image.fromarray(dep_a.astype(float)).resize((w, h),
                                                        Image.NEAREST))
        for yy in range(h):
            for xx in range(w):
                out[c, yy, xx] = _slow_pdf(xx, yy, grid[yy, xx], mu[c], var[c],
                                           pi[c])
    return out


def test_source_maps_match_reference_procedure_small():
    params = _toy_params(num_classes=3, grid_hw=(6, 9))
    rng = np.random.default_rng(0)
    label = rng.integers(0, 4, size=(50, 77))
    label[rng.random(label.shape) < 0.1] = 255
    dep = (65536 / (rng.integers(0, 65536, size=label.shape) + 1)).astype(
        np.float32)
    dep[label == 1] = params.mu[1, 0, 2].item()  # hits the var=1e-6 peak
    ref = _slow_source_maps(label, dep, params, (6, 9))
    got = GMMDensity(params).source_density_maps(
        torch.from_numpy(label), torch.from_numpy(dep), (6, 9))
    assert got.dtype == torch.float32 and got.shape == (3, 6, 9)
    assert ref.max() > 0.5  # only the var=1e-6 component gets this high
    np.testing.assert_allclose(got.numpy(), ref, rtol=2e-6, atol=1e-38)
    masked = GMMDensity(params).source_density_maps(
        torch.from_numpy(label), torch.from_numpy(dep), (6, 9),
        mask_outside=True)
    cls_g = np.array(Image.fromarray(label.astype(np.float64)).resize(
        (9, 6), Image.NEAREST))
    for c in range(3):
        np.testing.assert_array_equal(masked[c].numpy() == 0,
                                      (cls_g != c) | (ref[c] == 0))


def test_source_maps_full_size_grid_uses_pil_sampling():
    # 1280x760 -> 161x96: column 80 must read source column 639 (PIL).
    mu = torch.tensor([[[80., 40., 20.]] * 5])
    var = torch.tensor([[[2000., 2000., 100.]] * 5])
    params = GMMParams(mu=mu, var=var, pi=torch.full((1, 5), .2), name='t')
    label = np.zeros((760, 1280), np.int64)
    dep = np.tile(np.arange(1280, dtype=np.float32) % 50, (760, 1))
    ref = _slow_source_maps(label, dep, params, (96, 161))
    got = GMMDensity(params).source_density_maps(
        torch.from_numpy(label), torch.from_numpy(dep), (96, 161))
    np.testing.assert_allclose(got.numpy(), ref, rtol=2e-6)


def test_target_density_vs_per_pixel_loop():
    params = _toy_params(num_classes=3, grid_hw=(5, 7), seed=3)
    dens = GMMDensity(params)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 5, 7, generator=g)
    depth = torch.rand(2, 1, 5, 7, generator=g) * 60 - 5
    cls = logits.argmax(1)
    depth[0, 0, 2, 3] = params.mu[cls[0, 2, 3], 0, 2]  # degenerate peak
    depth[1, 0, 0, 0] = 0.
    got = dens.target_density_target(logits, depth)
    assert got.shape == (2, 1, 5, 7) and got.dtype == torch.float32
    mu, var, pi = (params.mu.double().numpy(), params.var.double().numpy(),
                   params.pi.double().numpy())
    for n in range(2):
        for yy in range(5):
            for xx in range(7):
                c = int(cls[n, yy, xx])
                z = float(depth[n, 0, yy, xx])
                p = _slow_pdf(xx, yy, z, mu[c], var[c], pi[c]) if z > 0 else 0
                p = float(F32(p))
                exp = 255 * (1 - math.exp(-1e6 * p))
                assert got[n, 0, yy, xx].item() == pytest.approx(
                    exp, rel=1e-5, abs=1e-4)
    assert got[0, 0, 2, 3] == 255. and got[1, 0, 0, 0] == 0.
    assert not got.requires_grad


def test_target_density_c16_values_and_no_grad():
    dens = GMMDensity('c16', num_classes=16)
    logits = torch.zeros(1, 16, 8, 60, requires_grad=True)
    with torch.no_grad():
        logits[:, 0] = 1.  # road everywhere
    depth = torch.full((1, 1, 8, 60), 57.0025, requires_grad=True)
    got = dens.target_density_target(logits, depth)
    assert not got.requires_grad
    data = json.loads(Path(BUILTIN_PARAMS_FILE).read_text())['c16']
    p = _slow_pdf(45, 7, 57.0025, data['mu'][0], data['var'][0],
                  data['pi'][0])
    assert got[0, 0, 7, 45].item() == pytest.approx(
        255 * (1 - math.exp(-1e6 * p)), rel=1e-5)


def test_source_density_target_gather():
    dens = GMMDensity('c7')
    maps = torch.arange(2 * 7 * 2 * 3, dtype=torch.float32).view(2, 7, 2, 3)
    logits = torch.zeros(2, 7, 2, 3)
    logits[0, 4] = 1.
    logits[1, 2, 1, 1] = 5.  # elsewhere ties -> first class (0)
    out = dens.source_density_target(maps, logits)
    assert out.shape == (2, 1, 2, 3)
    torch.testing.assert_close(out[0, 0], maps[0, 4])
    assert out[1, 0, 1, 1] == maps[1, 2, 1, 1] and out[1, 0, 0, 0] == maps[1,
                                                                            0,
                                                                            0,
                                                                            0]
    gt = torch.full((2, 4, 6), 255, dtype=torch.long)
    gt[:, :2, :] = 3  # top half -> grid row 0 is class 3, row 1 ignored
    out = dens.source_density_target(maps, logits, gather='gt', gt_label=gt)
    torch.testing.assert_close(out[:, 0, 0], maps[:, 3, 0])
    assert (out[:, 0, 1] == 0).all()
    with pytest.raises(ValueError, match='gt_label'):
        dens.source_density_target(maps, logits, gather='gt')
    with pytest.raises(ValueError, match='seg_logits'):
        dens.source_density_target(maps, logits[:, :, :1])


def test_class_count_mismatch_error():
    with pytest.raises(ValueError) as e:
        GMMDensity('c16', num_classes=7)
    assert str(e.value) == ("GMM parameter set 'c16' has 16 classes but the "
                            'model has 7 classes')
    dens = MODELS.build(dict(type='GMMDensity', params='c7', num_classes=7))
    assert dens.num_classes == 7
    assert dens.state_dict() == {}  # buffers are not persistent
    with pytest.raises(ValueError, match='must be'):
        dens.target_density_target(torch.zeros(1, 16, 2, 2),
                                   torch.zeros(1, 1, 2, 2))


def test_load_json_path_and_errors(tmp_path):
    data = json.loads(Path(BUILTIN_PARAMS_FILE).read_text())
    one = {'_meta': {'sets': {'mine': {'class_order': list('abcdefg')}},
                     'coordinates': {'grid_WxH': {'mine': [81, 41]}}},
           'mine': data['c7small']}
    path = tmp_path / 'g.json'
    path.write_text(json.dumps(one))
    p = load_gmm_params(str(path))
    assert p.name == 'mine' and p.grid_hw == (41, 81)
    assert p.class_names == list('abcdefg')
    assert GMMDensity(str(path), num_classes=7).num_classes == 7
    two = dict(one, other=data['c7'])
    path.write_text(json.dumps(two))
    with pytest.raises(ValueError, match='set_name'):
        load_gmm_params(str(path))
    assert load_gmm_params(str(path), 'other').grid_hw is None
    with pytest.raises(KeyError, match='no GMM parameter set'):
        load_gmm_params(str(path), 'nope')
    bad = {'x': {'mu': [[[0, 0]]], 'var': [[[1, 1]]], 'pi': [[1]]}}
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r'g\.json.*mu must have shape'):
        load_gmm_params(str(path))
    with pytest.raises(FileNotFoundError):
        load_gmm_params(str(tmp_path / 'missing.json'))
    with pytest.raises(KeyError, match='c99'):
        load_gmm_params('c99')


def test_first_argmax_matches_torch_argmax_on_ties():
    from mmseg_dda.density.gmm import first_argmax
    g = torch.Generator().manual_seed(0)
    logits = torch.randint(0, 3, (2, 16, 9, 11), generator=g).float()
    first = torch.where(logits == logits.amax(1, keepdim=True),
                        torch.arange(16).view(1, 16, 1, 1), 99).amin(1)
    assert torch.equal(first_argmax(logits), first)
    assert torch.equal(first_argmax(logits), logits.argmax(1))
