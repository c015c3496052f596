"""Synthetic street-scene generator: formats, determinism, geometry."""
import filecmp
import os
import os.path as osp

import cv2
import numpy as np
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.demo.toy import Camera, make_sample, render_scene
from mmseg_dda.demo.toy.scene import (CAR, POLE, ROAD, SKY, VOID,
                                          draw_object, _Canvas)
from mmseg_dda.demo.toy.writer import (MAPILLARY_RAW, SYNTHIA_RAW,
                                           depth_to_synthia_png,
                                           generate_toy_dataset)

from _helpers import load_tool


def test_tree_formats(toy_data_root):
    syn = toy_data_root['synthia']
    rgb = Image.open(osp.join(syn, 'RGB', '0000000.png'))
    assert rgb.mode == 'RGB' and rgb.size == (128, 76)
    lab = Image.open(osp.join(syn, 'parsed_LABELS', '0000000.png'))
    assert lab.mode == 'L'
    depth = cv2.imread(osp.join(syn, 'Depth', '0000000.png'),
                       cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and depth.shape == (76, 128)
    raw = np.array(lab)
    assert (depth[raw == 1] == 65535).all() and (depth[raw != 1] < 65535).all()
    cs = toy_data_root['cityscapes']
    assert sorted(os.listdir(osp.join(cs, 'leftImg8bit'))) == ['train', 'val']
    lbl = Image.open(osp.join(cs, 'gtFine', 'val', 'toyfurt',
                              'toyfurt_000000_000000_gtFine_labelIds.png'))
    assert lbl.mode == 'L' and lbl.size == (128, 64)
    mp = toy_data_root['mapillary']
    sizes = {Image.open(osp.join(mp, 'validation', 'images', f)).size
             for f in os.listdir(osp.join(mp, 'validation', 'images'))}
    assert sizes == {(128, 96), (128, 72), (128, 85)}  # 4:3, 16:9, 3:2
    pal = Image.open(osp.join(mp, 'validation', 'labels',
                              'toy_validation_00000.png'))
    assert pal.mode == 'P' and pal.getpalette()[13 * 3:14 * 3] == [128, 64,
                                                                   128]
    assert open(osp.join(syn, 'all.txt')).read().split() == [
        f'{i:07d}.png' for i in range(6)]


def test_deterministic_and_seeded(tmp_path):
    a = generate_toy_dataset(str(tmp_path / 'a'), 2, 1, 1, (48, 28), seed=3)
    b = generate_toy_dataset(str(tmp_path / 'b'), 2, 1, 1, (48, 28), seed=3)
    c = generate_toy_dataset(str(tmp_path / 'c'), 2, 1, 1, (48, 28), seed=4)
    for rel in ('RGB/0000001.png', 'Depth/0000001.png',
                'parsed_LABELS/0000001.png'):
        assert filecmp.cmp(osp.join(a['synthia'], rel),
                           osp.join(b['synthia'], rel), shallow=False)
    assert not filecmp.cmp(osp.join(a['synthia'], 'RGB/0000001.png'),
                           osp.join(c['synthia'], 'RGB/0000001.png'),
                           shallow=False)
    leftovers = [f for _, _, fs in os.walk(tmp_path) for f in fs
                 if f.startswith('.tmp_')]
    assert leftovers == []  # atomic writes leave no temp files


def test_ground_depth_follows_pinhole_geometry():
    cam = Camera(width=64, height=40, focal=50.0, horizon=15.0,
                 cam_height=2.0)
    cv = _Canvas(cam)
    rng = np.random.default_rng(0)
    with np.errstate(all='ignore'):
        from mmseg_dda.demo.toy.scene import _ground
        _ground(cv, road_half=4.0, walk=2.0, rng=rng)
    row = 30  # v - v0 = 15.5 -> Z = f * hc / 15.5
    np.testing.assert_allclose(cv.depth[row], 50.0 * 2.0 / 15.5, rtol=1e-6)
    assert (cv.labels[:15] == SKY).all()
    assert cv.labels[row, 32] == ROAD
    # An object standing at Z=10 covers its foot row, at its foot depth.
    draw_object(cv, 0.0, 10.0, [(CAR, -1.0, 1.0, 0.0, 1.5, False)],
                np.zeros(3, np.float32))
    foot = int(15.0 + 50.0 * 2.0 / 10.0) - 1  # row 24
    top = int(np.ceil(15.0 + 50.0 * 0.5 / 10.0))  # y = 1.5 m -> row 17.5
    assert (cv.labels[top:foot + 1, 30:34] == CAR).all()
    np.testing.assert_allclose(cv.depth[top:foot + 1, 30:34], 9.95)
    # A nearer pole occludes the car; a farther one is hidden by it.
    draw_object(cv, 0.0, 5.0, [(POLE, -0.2, 0.2, 0.0, 6.0, False)], 0)
    draw_object(cv, 0.5, 30.0, [(POLE, -0.5, 0.5, 0.0, 6.0, False)], 0)
    assert (cv.labels[top:foot + 1, 31:33] == POLE).all()
    assert (cv.depth[top:foot + 1, 31:33] < 5.0).all()


def test_domains_share_statistics_but_differ_in_look():
    stats, means = {}, {}
    for dom, size, table in (('synthia', (96, 57), SYNTHIA_RAW),
                             ('mapillary', (96, 72), MAPILLARY_RAW)):
        inv = np.full(256, 255, np.int64)
        inv[table[:16]] = np.arange(16)
        counts = np.zeros(16)
        rgb_mean = []
        for i in range(12):
            rgb, raw, depth = make_sample(dom, size, 0, 'all', i)
            ids = inv[raw]
            counts += np.bincount(ids[ids < 16], minlength=16)
            rgb_mean.append(rgb.reshape(-1, 3).mean(0))
            assert np.isinf(depth[ids == SKY]).all()
            assert np.isfinite(depth[ids != SKY]).all()
        stats[dom] = counts / counts.sum()
        means[dom] = np.mean(rgb_mean, 0)
    # Same scene model: every class appears in both domains with similar
    # frequency of the big classes; the colour cast differs.
    for c in (ROAD, SKY, 2, 8, CAR):
        assert stats['synthia'][c] > 0.005 and stats['mapillary'][c] > 0.005
    assert np.abs(stats['synthia'] - stats['mapillary']).sum() < 0.6
    assert abs(means['synthia'][2] - means['mapillary'][2]) > 5  # blue


def test_cityscapes_has_ego_void_and_depth_png_conversion():
    _, raw, depth = make_sample('cityscapes', (64, 32), 0, 'val', 0)
    assert (raw[-2:] == 1).all()  # ego vehicle labelId
    d = depth_to_synthia_png(np.array([[0.004, 3.456, np.inf, 1e4]]))
    assert d.tolist() == [[1, 346, 65535, 65535]] and d.dtype == np.uint16


def test_render_scene_is_fast_and_valid():
    cam = Camera(320, 190, 260.0, 85.0, 3.0)
    scene = render_scene(cam, np.random.default_rng(5))
    assert scene.labels.shape == (190, 320) and scene.labels.max() <= VOID
    assert scene.depth.dtype == np.float32


def test_cli(tmp_path, capsys):
    load_tool('make_toy_data').main([
        '--out', str(tmp_path), '--num-source', '1', '--num-target', '1',
        '--num-val', '1', '--size', '40', '24', '--seed', '1'])
    assert '"images": 5' in capsys.readouterr().out
    assert Image.open(tmp_path / 'synthia' / 'RGB' / '0000000.png').size == (
        40, 24)
