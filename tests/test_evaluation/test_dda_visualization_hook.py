"""DDAVisualizationHook on a fake data sample.

(Kept under test_evaluation/ because test_engine/ belongs to another part.)
"""
import mmseg_dda  # noqa: F401

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample
from PIL import Image

from mmseg_dda.engine.hooks.dda_visualization_hook import (
    DDAVisualizationHook, label_to_color, scalar_to_color)


def _runner(tmp_path, palette):
    dataset = SimpleNamespace(metainfo=dict(classes=('a', 'b'),
                                            palette=palette))
    return SimpleNamespace(work_dir=str(tmp_path),
                           test_dataloader=SimpleNamespace(dataset=dataset))


def _sample(with_maps=True):
    s = SegDataSample()
    s.set_metainfo(dict(img_path='/nowhere/city_leftImg8bit.png'))
    pred = torch.zeros(1, 8, 12, dtype=torch.int64)
    pred[:, :, 6:] = 1
    s.pred_sem_seg = PixelData(data=pred)
    gt = pred.clone()
    gt[:, :2] = 255
    s.gt_sem_seg = PixelData(data=gt)
    if with_maps:
        s.pred_depth_map = PixelData(
            data=torch.linspace(0, 1, 12).expand(1, 4, 12).clone())
        s.pred_density_map = PixelData(data=torch.full((1, 1, 2), 300.))
    return s


def test_side_by_side_png(tmp_path):
    hook = HOOKS.build(dict(type='DDAVisualizationHook', show_dir='vis',
                            interval=2))
    runner = _runner(tmp_path, [[255, 0, 0], [0, 0, 255]])
    hook.before_test(runner)
    img = torch.full((3, 4, 6), 10, dtype=torch.uint8)
    img[2] = 200  # BGR: red channel last
    batch = dict(inputs=[img], data_samples=[None])
    hook.after_test_iter(runner, 0, batch, [_sample()])  # skipped (interval)
    out = tmp_path / 'vis' / 'city_leftImg8bit.png'
    assert not out.exists()
    hook.after_test_iter(runner, 1, batch, [_sample()])  # (1 + 1) % 2 == 0
    canvas = np.asarray(Image.open(out))
    h = canvas.shape[0] - 24
    assert h == 8 and canvas.shape[1] == 5 * 12
    body = canvas[24:]
    np.testing.assert_array_equal(body[4, 3], [200, 10, 10])  # image, RGB
    np.testing.assert_array_equal(body[0, 12 + 3], [0, 0, 0])  # GT ignore
    np.testing.assert_array_equal(body[5, 12 + 9], [0, 0, 255])  # GT class 1
    np.testing.assert_array_equal(body[5, 24 + 1], [255, 0, 0])  # pred 0
    # Depth left-to-right ramp: first and last columns differ.
    assert not np.array_equal(body[3, 36], body[3, 47])
    # Density 300 is clipped to the top of the (0, 255) range.
    assert np.array_equal(body[3, 48], scalar_to_color(
        np.array([[255.]]), 'viridis', (0, 255))[0, 0])
    assert [p.name for p in (tmp_path / 'vis').iterdir()] == [out.name]


def test_missing_maps_give_fewer_panels(tmp_path):
    hook = DDAVisualizationHook(show_dir=str(tmp_path / 'abs'))
    hook.before_test(_runner(tmp_path, None))
    img = np.zeros((3, 8, 12), np.uint8)
    path = hook.visualize_sample(_sample(with_maps=False), img)
    assert np.asarray(Image.open(path)).shape[1] == 3 * 12


def test_helpers_and_errors():
    colors = label_to_color(np.array([[0, 1, 255]]),
                            np.array([[1, 2, 3], [4, 5, 6]]))
    np.testing.assert_array_equal(colors[0], [[1, 2, 3], [4, 5, 6], [0, 0, 0]])
    with pytest.raises(ValueError, match='colour map'):
        DDAVisualizationHook(depth_cmap='no-such-map')
    with pytest.raises(ValueError, match='interval'):
        DDAVisualizationHook(interval=0)
