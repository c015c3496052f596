"""Tests of UDAIoUMetric against an independent numpy reference (§9)."""
import mmseg_dda  # noqa: F401

import math

import numpy as np
import pytest
import torch
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from mmseg_dda.evaluation import (MIOU13_SUBSET, UDAIoUMetric,
                                  confusion_matrix)

CLASSES16 = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
             'light', 'sign', 'vegetation', 'sky', 'person', 'rider', 'car',
             'bus', 'motorcycle', 'bicycle')


def _reference_miou(preds, labels, num_classes, keep=None):
    """The ADVENT/DDA formula written independently in numpy."""
    hist = np.zeros((num_classes, num_classes))
    for pred, label in zip(preds, labels):
        pred, label = pred.flatten(), label.flatten()
        k = (label >= 0) & (label < num_classes)
        hist += np.bincount(
            num_classes * label[k].astype(int) + pred[k],
            minlength=num_classes**2).reshape(num_classes, num_classes)
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist))
    if keep is not None:
        iou = iou[keep]
    return round(np.nanmean(iou) * 100, 2), iou


def _sample(pred, label):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
    s.gt_sem_seg = PixelData(data=torch.from_numpy(label)[None])
    s.set_metainfo(dict(img_path='x/a.png'))
    return s.to_dict()


def _run(metric, preds, labels):
    for p, lab in zip(preds, labels):
        metric.process({}, [_sample(p, lab)])
    return metric.compute_metrics(metric.results)


def test_miou_and_subset_match_numpy_reference_with_absent_classes():
    rng = np.random.default_rng(0)
    preds, labels = [], []
    for shape in [(7, 9), (5, 11)]:
        # Only classes 0..11 appear anywhere: 12..15 are absent (NaN),
        # class 11 only in predictions (IoU 0, not NaN).
        pred = rng.integers(0, 12, size=shape)
        label = rng.integers(0, 11, size=shape)
        label[rng.random(shape) < 0.2] = 255
        preds.append(pred)
        labels.append(label.astype(np.uint8))
    metric = UDAIoUMetric(subsets=MIOU13_SUBSET, protocol='full-res GT')
    metric.dataset_meta = dict(classes=CLASSES16)
    out = _run(metric, preds, labels)

    ref, ref_iou = _reference_miou(preds, labels, 16)
    keep13 = [i for i in range(16) if i not in (3, 4, 5)]
    ref13, _ = _reference_miou(preds, labels, 16, keep=keep13)
    assert np.isnan(ref_iou[12:]).all() and ref_iou[11] == 0
    assert out['mIoU'] == ref
    assert out['mIoU*'] == ref13
    assert out['mIoU'] != out['mIoU*']
    assert math.isnan(out['IoU.bus'])
    assert out['IoU.rider'] == 0.0
    np.testing.assert_allclose(
        [out[f'IoU.{n}'] for n in CLASSES16[:11]],
        np.round(ref_iou[:11] * 100, 2))
    valid = np.concatenate([lab.ravel() for lab in labels]) != 255
    correct = np.concatenate([(p == lab).ravel()
                              for p, lab in zip(preds, labels)])
    assert out['aAcc'] == round(correct[valid].mean() * 100, 2)


def test_hand_computed_example_and_subset_by_name():
    # C = 3. label row: [0 0 1 255], pred row: [0 1 1 2]
    pred = np.array([[0, 1, 1, 2]])
    label = np.array([[0, 0, 1, 255]], dtype=np.uint8)
    metric = UDAIoUMetric(subsets={'sub': ['a', 'b'], 'ex': dict(exclude=[0])})
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    out = _run(metric, [pred], [label])
    # IoU a = 1/2, b = 1/2, c = NaN (255 pixel ignored, never predicted
    # on a valid pixel) -> mIoU = 50.0
    assert out['mIoU'] == 50.0 and out['sub'] == 50.0 and out['ex'] == 50.0
    assert out['aAcc'] == round(2 / 3 * 100, 2)
    assert math.isnan(out['IoU.c'])


def test_confusion_matrix_ignores_out_of_range_labels():
    pred = torch.tensor([0, 1, 1, 0])
    label = torch.tensor([0, 1, 254, 255])
    hist = confusion_matrix(pred, label, 2)
    assert hist.tolist() == [[1, 0], [0, 1]]
    with pytest.raises(ValueError, match='predictions must lie'):
        confusion_matrix(torch.tensor([2]), torch.tensor([0]), 2)


def test_bad_subset_is_rejected():
    metric = UDAIoUMetric(subsets={'x': ['nope']})
    metric.dataset_meta = dict(classes=('a', 'b'))
    pred = np.zeros((2, 2), dtype=np.int64)
    with pytest.raises(ValueError, match="names class 'nope'"):
        _run(metric, [pred], [pred.astype(np.uint8)])
    with pytest.raises(ValueError, match='clashes'):
        UDAIoUMetric(subsets={'mIoU': [0]})


def test_protocol_and_resolution_logged(tmp_path):
    from mmengine.logging import MMLogger
    log_file = tmp_path / 'log.txt'
    MMLogger.get_instance('test_uda_iou', log_file=str(log_file))
    metric = UDAIoUMetric(protocol='padded input (scale_label=True)',
                          output_dir=str(tmp_path / 'pred'))
    metric.dataset_meta = dict(classes=('a', 'b'))
    pred = np.array([[0, 1], [1, 1]])
    _run(metric, [pred], [pred.astype(np.uint8)])
    text = log_file.read_text()
    assert 'padded input (scale_label=True)' in text
    assert '2x2 (1 images)' in text
    assert (tmp_path / 'pred' / 'a.png').is_file()
