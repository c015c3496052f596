"""Transforms: label mapping, inverse depth, density maps, resize, packing."""
import logging

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import mmseg_dda  # noqa: F401
from mmengine.logging import MMLogger
from mmseg.registry import TRANSFORMS

from mmseg_dda.datasets.class_mappings import get_known_ids, get_label_lut
from mmseg_dda.datasets.transforms import (
    ComputeSourceDensityMaps, LoadInverseDepth, LoadMappedAnnotations,
    LoadSourceDensityMaps, PackDDAInputs, ResizeWithPad, feature_grid_size,
    fit_size, map_label)


def _png(path, arr):
    assert cv2.imwrite(str(path), arr)
    return str(path)


# -- LoadMappedAnnotations ----------------------------------------------
def test_map_label_vectorised_with_unexpected_counts():
    lut = get_label_lut('synthia', 16)
    raw = np.array([[3, 4, 0], [30, 30, 200]], np.uint8)
    mapped, bad = map_label(raw, lut, get_known_ids('synthia'))
    assert mapped.tolist() == [[0, 1, 255], [255, 255, 255]]
    assert bad == {30: 2, 200: 1}
    # Non-uint8 input (16-bit labels), ids beyond the table.
    mapped, bad = map_label(raw.astype(np.int32) * 300, lut)
    assert mapped.tolist() == [[255] * 3] * 2
    assert bad == {900: 1, 1200: 1, 9000: 2, 60000: 1}


def test_load_mapped_annotations_logs_once(tmp_path, caplog):
    lut, known = get_label_lut('synthia', 7), get_known_ids('synthia')
    a = _png(tmp_path / 'a.png', np.array([[3, 22, 40]], np.uint8))
    t = LoadMappedAnnotations()
    logger = MMLogger.get_instance('test_mapped_once')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        for _ in range(3):
            out = t(dict(seg_map_path=a, label_lut=lut, label_known=known,
                         seg_fields=[]))
    finally:
        logger.removeHandler(handler)
    assert out['gt_seg_map'].tolist() == [[0, 0, 255]]
    assert out['gt_seg_map'].dtype == np.uint8
    assert out['seg_fields'] == ['gt_seg_map']
    assert t.unexpected_counts == {40: 3}
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and '{40: 1}' in warnings[0].getMessage()


def test_load_mapped_annotations_errors(tmp_path):
    lut = get_label_lut('synthia', 16)
    good = _png(tmp_path / 'l.png', np.zeros((4, 6), np.uint8))
    with open(good, 'rb') as f:
        data = f.read()
    bad = tmp_path / 'trunc.png'
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(OSError, match='trunc.png'):
        LoadMappedAnnotations()(dict(seg_map_path=str(bad), label_lut=lut))
    with pytest.raises(OSError, match='missing.png'):
        LoadMappedAnnotations()(
            dict(seg_map_path=str(tmp_path / 'missing.png'), label_lut=lut))
    with pytest.raises(ValueError, match=r'l\.png has size \(4, 6\)'):
        LoadMappedAnnotations()(dict(
            seg_map_path=good, label_lut=lut, img_path='img.png',
            img=np.zeros((5, 6, 3), np.uint8), ori_shape=(5, 6)))


def test_multichannel_16bit_label_uses_red_channel(tmp_path):
    bgr = np.zeros((3, 4, 3), np.uint16)
    bgr[..., 2] = [[3, 4, 8, 1]] * 3  # red = class id
    bgr[..., 1] = 777  # instance ids etc. in the other channels
    path = _png(tmp_path / 'gt.png', bgr)
    out = LoadMappedAnnotations()(dict(
        seg_map_path=path, label_lut=get_label_lut('synthia', 16),
        label_known=get_known_ids('synthia'), seg_fields=[]))
    assert out['gt_seg_map'].tolist() == [[0, 1, 12, 9]] * 3


# -- LoadInverseDepth ---------------------------------------------------
def test_load_inverse_depth_values(tmp_path):
    raw = np.array([[0, 99, 65535]], np.uint16)
    path = _png(tmp_path / 'd.png', raw)
    out = LoadInverseDepth()(dict(depth_map_path=path, seg_fields=[]))
    d = out['gt_depth_map']
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, [[65536.0, 655.36, 1.0]], rtol=1e-6)
    assert out['seg_fields'] == ['gt_depth_map']
    with pytest.raises(ValueError, match='d.png'):
        LoadInverseDepth()(dict(depth_map_path=path, img_path='x',
                                img=np.zeros((2, 3, 3), np.uint8)))
    with pytest.raises(OSError, match='nope.png'):
        LoadInverseDepth()(dict(depth_map_path=str(tmp_path / 'nope.png')))


# -- density maps -------------------------------------------------------
def test_load_source_density_maps_npy_and_tiff(tmp_path):
    p = np.zeros((2, 3, 4), np.float32)
    p[0, 0, 0] = 1e-6
    p[1, 2, 3] = 1e-3
    np.save(tmp_path / 's.npy', p)
    for c in range(2):
        Image.fromarray(p[c], mode='F').save(tmp_path / f's-{c}.tiff')
    expected = np.zeros_like(p)
    expected[0, 0, 0] = 255 * (1 - np.exp(-1.0))  # 161.19...
    expected[1, 2, 3] = 255.0  # saturated
    t = LoadSourceDensityMaps(grid=(3, 4))
    for path in (str(tmp_path / 's.npy'), str(tmp_path / 's')):
        out = t(dict(density_map_path=path, num_classes=2, seg_fields=[]))
        d = out['gt_density_map']
        assert d.dtype == np.float32 and d.shape == (2, 3, 4)
        np.testing.assert_allclose(d, expected, rtol=1e-6)
        assert out['seg_fields'] == []
    with pytest.raises(ValueError, match='expected 3'):
        t(dict(density_map_path=str(tmp_path / 's.npy'), num_classes=3))
    with pytest.raises(FileNotFoundError, match='gone'):
        t(dict(density_map_path=str(tmp_path / 'gone.npy'), num_classes=2))
    (tmp_path / 'bad.npy').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='bad.npy'):
        t(dict(density_map_path=str(tmp_path / 'bad.npy'), num_classes=2))
    with pytest.raises(ValueError, match='expected \\(5, 5\\)'):
        LoadSourceDensityMaps(grid=(5, 5))(
            dict(density_map_path=str(tmp_path / 's.npy'), num_classes=2))


def test_feature_grid_size():
    assert feature_grid_size((760, 1280)) == (96, 161)
    assert feature_grid_size((320, 640)) == (41, 81)
    # Against the real layers (conv1, ceil-mode max-pool, layer2 stride).
    x = torch.zeros(1, 1, 77, 130)
    x = torch.nn.functional.max_pool2d(
        torch.nn.functional.conv2d(x, torch.zeros(1, 1, 7, 7), stride=2,
                                   padding=3), 3, 2, 1, ceil_mode=True)
    x = x[..., ::2, ::2]
    assert feature_grid_size((77, 130)) == tuple(x.shape[-2:])


def test_compute_source_density_maps_matches_gmm():
    from mmseg_dda.density import GMMDensity, squash_density
    rng = np.random.default_rng(0)
    label = rng.integers(0, 16, (76, 128)).astype(np.uint8)
    label[:5] = 255
    depth = rng.uniform(1, 3000, (76, 128)).astype(np.float32)
    results = dict(img=np.zeros((76, 128, 3), np.uint8), gt_seg_map=label,
                   gt_depth_map=depth, num_classes=16, seg_fields=[])
    t = ComputeSourceDensityMaps(gmm='c16', scale=(640, 320))
    out = t(dict(results))
    d = out['gt_density_map']
    assert d.shape == (16, 41, 81) and d.dtype == np.float32
    ref = GMMDensity('c16').source_density_maps(
        torch.from_numpy(label.astype(np.int64)), torch.from_numpy(depth),
        (41, 81))
    np.testing.assert_array_equal(d, squash_density(ref.numpy()))
    assert 0 <= d.min() and d.max() <= 255 and d.max() > 0
    assert ComputeSourceDensityMaps(gmm='c16', grid=(5, 7))(dict(results))[
        'gt_density_map'].shape == (16, 5, 7)
    # Default grid: from the current (native) image size.
    assert ComputeSourceDensityMaps(gmm='c16')(dict(results))[
        'gt_density_map'].shape == (16, *feature_grid_size((76, 128)))
    # No default GMM set: it must be the model's, named in the config.
    with pytest.raises(ValueError, match='gmm is required'):
        ComputeSourceDensityMaps(scale=(640, 320))
    with pytest.raises(ValueError, match='before Resize'):
        t(dict(results, img=np.zeros((10, 10, 3), np.uint8)))
    with pytest.raises(ValueError, match='7'):
        t(dict(results, num_classes=7))
    with pytest.raises(KeyError, match='gt_depth_map'):
        t(dict(img=results['img'], gt_seg_map=label))


# -- resizing -----------------------------------------------------------
def test_fit_size_truncation():
    assert fit_size((2000, 1000), (1280, 760)) == (1280, 640)  # fit width
    assert fit_size((100, 100), (1280, 760)) == (760, 760)  # fit height
    assert fit_size((4000, 3000), (640, 320)) == (426, 320)  # int(426.67)
    assert fit_size((1999, 1000), (1280, 760)) == (1280, 640)  # 640.32


def _sample(h, w, rng):
    return dict(
        img=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        gt_seg_map=rng.integers(0, 7, (h, w)).astype(np.uint8),
        gt_depth_map=rng.uniform(1, 100, (h, w)).astype(np.float32),
        seg_fields=['gt_seg_map', 'gt_depth_map'], ori_shape=(h, w))


def test_resize_with_pad_reference_protocol():
    rng = np.random.default_rng(1)
    r = _sample(30, 40, rng)  # 4:3 < 64/38 -> fit height
    src = {k: v.copy() if isinstance(v, np.ndarray) else v
           for k, v in r.items()}
    out = ResizeWithPad(scale=(64, 38))(r)
    nw = int(40 * 38 / 30)  # 50
    assert out['img'].shape == (38, 64, 3)
    assert out['resized_shape'] == (38, nw)
    assert out['ori_shape'] == out['img_shape'] == out['pad_shape'] == (38,
                                                                       64)
    exp_img = np.asarray(Image.fromarray(src['img']).resize((nw, 38),
                                                            Image.BICUBIC))
    np.testing.assert_array_equal(out['img'][:, :nw], exp_img)
    assert (out['img'][:, nw:] == 0).all()
    exp_lab = np.asarray(Image.fromarray(src['gt_seg_map']).resize(
        (nw, 38), Image.NEAREST))
    np.testing.assert_array_equal(out['gt_seg_map'][:, :nw], exp_lab)
    assert (out['gt_seg_map'][:, nw:] == 255).all()
    exp_dep = cv2.resize(src['gt_depth_map'], (nw, 38),
                         interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(out['gt_depth_map'][:, :nw], exp_dep)
    assert (out['gt_depth_map'][:, nw:] == 0).all()  # never 255
    assert out['gt_depth_map'].dtype == np.float32

    # Wide image: fit width, pad rows at the bottom.
    out = ResizeWithPad(scale=(64, 38))(_sample(20, 50, rng))
    assert out['resized_shape'] == (int(20 * 64 / 50), 64)
    assert (out['gt_seg_map'][25:] == 255).all()
    assert (out['gt_seg_map'][:25] != 255).all()


def test_resize_with_pad_full_res_label_protocol():
    rng = np.random.default_rng(2)
    out = ResizeWithPad(scale=(64, 32), scale_label=False)(_sample(30, 40,
                                                                   rng))
    # Label kept at 30x40, padded to aspect 2:1 -> 30x60.
    assert out['gt_seg_map'].shape == (30, 60)
    assert (out['gt_seg_map'][:, 40:] == 255).all()
    assert out['ori_shape'] == (30, 60)
    assert out['img'].shape == (32, 64, 3)
    assert out['gt_depth_map'].shape == (32, 64)


def test_resize_stretch_and_mmcv_resize_parity():
    rng = np.random.default_rng(3)
    r = _sample(24, 40, rng)
    src = {k: v.copy() if isinstance(v, np.ndarray) else v
           for k, v in r.items()}
    # The reference preprocessing in mmseg terms.
    resize = TRANSFORMS.build(dict(type='Resize', scale=(33, 17),
                                   keep_ratio=False, backend='pillow',
                                   interpolation='bicubic'))
    mm = resize(dict(img=src['img'].copy(),
                     gt_seg_map=src['gt_seg_map'].copy(),
                     seg_fields=['gt_seg_map']))
    np.testing.assert_array_equal(
        mm['img'], np.asarray(Image.fromarray(src['img']).resize(
            (33, 17), Image.BICUBIC)))
    np.testing.assert_array_equal(
        mm['gt_seg_map'], np.asarray(Image.fromarray(
            src['gt_seg_map']).resize((33, 17), Image.NEAREST)))
    # mmcv's pillow backend only takes uint8: the float32 inverse depth
    # cannot go through it, hence ResizeWithPad(keep_ratio=False).
    with pytest.raises(AssertionError, match='uint8'):
        resize(dict(img=src['img'].copy(),
                    gt_depth_map=src['gt_depth_map'].copy(),
                    seg_fields=['gt_depth_map']))
    ours = ResizeWithPad(scale=(33, 17), keep_ratio=False,
                         depth_backend='pillow')(r)
    np.testing.assert_array_equal(ours['img'], mm['img'])
    np.testing.assert_array_equal(ours['gt_seg_map'], mm['gt_seg_map'])
    np.testing.assert_array_equal(
        ours['gt_depth_map'], np.asarray(Image.fromarray(
            src['gt_depth_map'], mode='F').resize((33, 17), Image.NEAREST)))
    assert ours['ori_shape'] == (17, 33)


# -- packing ------------------------------------------------------------
def test_pack_dda_inputs():
    rng = np.random.default_rng(4)
    r = _sample(8, 12, rng)
    r.update(img_path='a.png', img_shape=(8, 12), num_classes=7,
             gt_density_map=rng.uniform(0, 255, (7, 2, 3)).astype(
                 np.float32))
    out = PackDDAInputs()(r)
    s = out['data_samples']
    assert out['inputs'].shape == (3, 8, 12)
    assert out['inputs'].dtype == torch.uint8
    assert s.gt_sem_seg.data.shape == (1, 8, 12)
    assert s.gt_sem_seg.data.dtype == torch.int64
    assert s.gt_depth_map.data.dtype == torch.float32
    np.testing.assert_array_equal(s.gt_depth_map.data[0].numpy(),
                                  r['gt_depth_map'])
    assert s.gt_density_map.data.shape == (7, 2, 3)
    np.testing.assert_array_equal(s.gt_density_map.data.numpy(),
                                  r['gt_density_map'])
    assert s.metainfo['num_classes'] == 7 and s.metainfo['img_path'] == 'a.png'
