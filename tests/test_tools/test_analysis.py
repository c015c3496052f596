"""Tests of tools/analysis/{plot_curves,tsne}.py on tiny fabricated inputs."""
import mmseg_dda  # noqa: F401

import json

import numpy as np
import pytest
import torch
from PIL import Image

from _helpers import load_tool


def _write_log(path):
    lines = [
        dict(lr=2.5e-4, loss=3.0, **{'src.loss_seg': 2.0}, iter=10, step=10),
        dict(lr=2.4e-4, loss=2.0, **{'src.loss_seg': 1.5}, iter=20, step=20),
        dict(aAcc=80.0, mIoU=30.5, **{'mIoU*': 35.0}, step=20),
        dict(lr=2.3e-4, loss=1.0, **{'src.loss_seg': 0.5}, iter=30, step=30),
    ]
    path.parent.mkdir(parents=True)
    path.write_text('\n'.join(json.dumps(x) for x in lines) + '\n{"loss": 1')


def test_plot_curves_from_work_dir(tmp_path):
    pc = load_tool('plot_curves', folder='analysis')
    _write_log(tmp_path / 'work' / '20240101_000000' / 'vis_data' /
               'scalars.json')
    _write_log(tmp_path / 'work' / '20240202_000000' / 'vis_data' /
               'scalars.json')
    assert pc.find_log(str(tmp_path / 'work')).endswith(
        '20240202_000000/vis_data/scalars.json')
    out = tmp_path / 'c.png'
    with pytest.warns(UserWarning, match='not valid JSON'):
        series = pc.main([str(tmp_path / 'work'), '--out', str(out)])
    assert list(series) == ['loss', 'src.loss_seg', 'mIoU', 'mIoU*']
    assert series['loss'] == ([10, 20, 30], [3.0, 2.0, 1.0])
    assert series['mIoU'] == ([20], [30.5])
    assert Image.open(out).size[1] == 4 * 240  # 4 panels of 2.4 in, 100 dpi
    with pytest.warns(UserWarning):
        with pytest.raises(KeyError, match="'nope' not found"):
            pc.main([str(tmp_path / 'work'), '--keys', 'nope',
                     '--out', str(out)])
    with pytest.raises(FileNotFoundError, match='no MMEngine JSON log'):
        pc.find_log(str(tmp_path))


def test_tsne_sample_pixels_uses_nearest_exact_labels():
    tsne = load_tool('tsne', folder='analysis')
    feats = torch.arange(2 * 2 * 3, dtype=torch.float32).reshape(2, 2, 3)
    label = torch.full((4, 6), 255)
    label[2:, 4:] = 7  # only bottom-right 2x2 block -> grid cell (1, 2)
    x, y = tsne.sample_pixels(feats, label, 10, np.random.default_rng(0))
    np.testing.assert_array_equal(y, [7])
    np.testing.assert_array_equal(x, [[5.0, 11.0]])  # cell index 1*3+2 = 5
    label[:] = 1
    x, y = tsne.sample_pixels(feats, label, 4, np.random.default_rng(0))
    assert x.shape == (4, 2) and (y == 1).all()
    assert len({tuple(r) for r in x}) == 4  # without replacement


def test_tsne_embed_and_plot(tmp_path):
    tsne = load_tool('tsne', folder='analysis')
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.1, (15, 60)),
                        rng.normal(5, 0.1, (15, 60))]).astype(np.float32)
    labels = np.repeat([0, 1], 15)
    points = tsne.embed(x, seed=0, perplexity=5)
    assert points.shape == (30, 2)
    # The two well-separated clusters stay separated.
    c0, c1 = points[:15].mean(0), points[15:].mean(0)
    spread = max(points[:15].std(0).max(), points[15:].std(0).max())
    assert np.linalg.norm(c0 - c1) > 3 * spread
    out = tmp_path / 't.png'
    tsne.plot_embedding(points, labels, np.tile([0, 1], 15), ['a', 'b'],
                        [[255, 0, 0], [0, 0, 255]], str(out))
    assert out.is_file() and Image.open(out).size == (960, 960)
    with pytest.raises(ValueError, match='at least 3'):
        tsne.embed(x[:2])


# -- demo_rounding ----------------------------------------------------------
def test_demo_rounding_readout_leaves_the_training_alone():
    """The readouts along the pre-training do not change it: its last
    target mIoU is that of a plain pre-training; with a decay of ~0 the
    averaged weights are the last ones; the report pairs both formats."""
    from dataclasses import replace

    from mmseg_dda.demo.data import DemoDataSpec, make_demo_data
    from mmseg_dda.demo.prior import fit_demo_prior
    from mmseg_dda.demo.design import Design
    from mmseg_dda.demo.protocol import SeedRun, evaluate
    tool = load_tool('demo_rounding', folder='analysis')
    torch.set_num_threads(1)
    data = make_demo_data(DemoDataSpec(size=(64, 40), num_source=6,
                                       num_target=2, num_val=2,
                                       num_source_val=2))
    gmm = fit_demo_prior(data['source'], components=1)
    design = Design(batch=2, pretrain_iters=4, pretrain_warmup=1)
    runs = {}
    for cl in (True, False):
        runs[(7, cl)] = tool.trajectory(
            data, gmm, replace(design, channels_last=cl), 7, every=1, last=2,
            ema_decay=1e-12)
    res = runs[(7, True)]
    assert sorted(res['along']) == [2, 3, 4]
    plain = SeedRun(data, gmm, design, 7, log=lambda m: None).pretrain()
    assert res['target'] == res['along'][4] == evaluate(
        plain, data['val']['img'], data['val']['label'])['mIoU']
    assert res['ema_target'] == pytest.approx(res['target'], abs=1e-6)
    text = tool.report(runs, [7])
    assert '| 7 | channels-last |' in text and '| 7 | NCHW |' in text
    assert 'Mean |channels-last − NCHW| on the target' in text
    with pytest.raises(SystemExit):
        tool.parse_args(['--every', '30', '--last', '20'])
