"""Tests of make_pseudo_label and the pseudo-label file helpers (§8.1)."""
import mmseg_dda  # noqa: F401

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg_dda.pseudo_labels import (PseudoLabelStats, is_complete,
                                     load_pseudo_label, make_pseudo_label,
                                     pseudo_label_path, save_pseudo_label)


def test_constant_logits_give_hand_computed_confidence():
    # Two classes, logit gap log(9) everywhere -> p = 0.9 exactly for class 1
    logits = torch.zeros(2, 3, 4)
    logits[1] = np.log(9.0)
    label, conf = make_pseudo_label(logits, (6, 8), threshold=0.9)
    assert label.shape == (6, 8) and label.dtype == np.uint8
    np.testing.assert_allclose(conf, 0.9, rtol=1e-6)
    # conf == threshold (up to float rounding) is kept only if not < 0.9
    label, _ = make_pseudo_label(logits, (6, 8), threshold=0.8)
    assert (label == 1).all()
    label, _ = make_pseudo_label(logits, (6, 8), threshold=0.95)
    assert (label == 255).all()


def test_upsampling_is_bilinear_align_corners_and_per_class_threshold():
    torch.manual_seed(0)
    logits = torch.randn(3, 4, 5) * 4
    label, conf = make_pseudo_label(logits, (9, 13),
                                    threshold=[0.01, 1.0, 0.01])
    up = F.interpolate(logits[None], size=(9, 13), mode='bilinear',
                       align_corners=True)[0].softmax(0)
    ref_conf, ref_pred = up.max(0)
    np.testing.assert_allclose(conf, ref_conf.numpy(), rtol=1e-6)
    # Corner values of align_corners=True equal the grid corners.
    assert ref_pred[0, 0] == logits[:, 0, 0].argmax()
    expected = ref_pred.numpy().astype(np.uint8)
    # class 1 keeps only pixels of confidence 1.0 (float32), others any.
    expected[(expected == 1) & (ref_conf.numpy() < 1.0)] = 255
    np.testing.assert_array_equal(label, expected)


def test_filter_is_applied_and_valid_crop():
    logits = torch.full((2, 2, 2), -5.0)
    logits[0] = 5.0
    logits[1, 0, 0] = 20.0  # class 1 only near the top-left corner
    label, _ = make_pseudo_label(logits, (5, 5), threshold=0.01)
    assert (label == 1).sum() > 0
    label, _ = make_pseudo_label(logits, (5, 5), threshold=0.01,
                                 min_count=[1, 100])
    assert (label != 1).all() and (label == 0).any()
    label, conf = make_pseudo_label(logits, (5, 5), valid_hw=(3, 4))
    assert label.shape == (3, 4) and conf.shape == (3, 4)
    with pytest.raises(ValueError, match='min_count has 1'):
        make_pseudo_label(logits, (5, 5), min_count=[1])
    with pytest.raises(ValueError, match='threshold has 3'):
        make_pseudo_label(logits, (5, 5), threshold=[0.9] * 3)
    with pytest.raises(ValueError, match=r'^threshold must be in \(0, 1\] '
                       r'\(a softmax confidence\), got 1\.1$'):
        make_pseudo_label(logits, (5, 5), threshold=[0.9, 1.1])
    with pytest.raises(ValueError, match='min_count must be >= 0, got -1'):
        make_pseudo_label(logits, (5, 5), min_count=[1, -1])


@pytest.mark.parametrize('fmt', ['png', 'tiff'])
def test_save_load_roundtrip(tmp_path, fmt):
    path = pseudo_label_path(str(tmp_path), '/data/city/a_leftImg8bit.png',
                             fmt)
    assert path.endswith(f'a_leftImg8bit.png.{fmt}')
    assert not is_complete(path)
    label = np.array([[0, 1, 255], [6, 6, 2]], dtype=np.uint8)
    save_pseudo_label(path, label)
    np.testing.assert_array_equal(load_pseudo_label(path), label)
    assert is_complete(path) and is_complete(path, (2, 3))
    assert not is_complete(path, (3, 2))
    assert [p.name for p in tmp_path.iterdir()] == [f'a_leftImg8bit.png.{fmt}']
    with pytest.raises(ValueError, match='uint8'):
        save_pseudo_label(path, label.astype(np.int32))


def test_stats_table():
    stats = PseudoLabelStats(['a', 'b'])
    stats.update(np.array([[0, 0, 255, 1]], np.uint8),
                 np.array([[0.9, 1.0, 0.2, 0.95]], np.float32))
    np.testing.assert_array_equal(stats.pixels, [2, 1])
    np.testing.assert_allclose(stats.conf_sum / stats.pixels, [0.95, 0.95])
    text = stats.table()
    assert 'TOTAL' in text and '75.00' in text and '1 images' in text
