import math

import pytest
import torch
import torch.nn.functional as F

import mmseg_dda  # noqa: F401
from mmseg.registry import MODELS


def _manual(logits, labels, w):
    """sum_i w_{y_i} (-log softmax_{y_i}) / sum_i w_{y_i} over valid pixels."""
    logits = logits.detach()
    num = den = 0.
    n, c, h, wd = logits.shape
    for b in range(n):
        for y in range(h):
            for x in range(wd):
                lab = int(labels[b, y, x])
                if lab < 0 or lab == 255:
                    continue
                z = [float(logits[b, k, y, x]) for k in range(c)]
                lse = math.log(sum(math.exp(v) for v in z))
                num += w[lab] * (lse - z[lab])
                den += w[lab]
    return num / den


def test_weighted_mean_with_ignore_pixels():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 2, 3, generator=g, requires_grad=True)
    labels = torch.tensor([[[0, 1, 255], [2, 2, -1]],
                           [[255, 0, 1], [1, 255, 0]]])
    w = [0.5, 2.0, 10.0]
    loss_mod = MODELS.build(
        dict(type='WeightedCrossEntropyLoss', class_weight=w))
    assert loss_mod.loss_name == 'loss_ce'
    loss = loss_mod(logits, labels, weight=None, ignore_index=255)
    assert loss.item() == pytest.approx(_manual(logits, labels, w), rel=1e-6)
    # Same as F.cross_entropy(weight=w, ignore_index=255) once label -1 is
    # also ignored (the reference drops label < 0).
    ref = F.cross_entropy(
        logits, labels.clamp_min(0).masked_fill(labels < 0, 255),
        weight=torch.tensor(w), ignore_index=255)
    assert loss.item() == pytest.approx(ref.item(), rel=1e-6)
    loss.backward()
    assert logits.grad[0, :, 0, 2].abs().sum() == 0  # ignored pixel


def test_unweighted_and_loss_weight():
    logits = torch.zeros(1, 4, 1, 2)
    labels = torch.tensor([[[3, 255]]])
    loss = MODELS.build(dict(type='WeightedCrossEntropyLoss', loss_weight=2.))
    assert loss(logits, labels).item() == pytest.approx(2 * math.log(4))


def test_all_ignored_is_zero_not_nan():
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    loss = MODELS.build(dict(type='WeightedCrossEntropyLoss',
                             class_weight=[1, 2, 3]))(
                                 logits, torch.full((1, 2, 2), 255))
    assert loss.item() == 0
    loss.backward()
    assert torch.isfinite(logits.grad).all()


def test_errors():
    loss = MODELS.build(dict(type='WeightedCrossEntropyLoss',
                             class_weight=[1., 2.]))
    with pytest.raises(ValueError, match='2 entries but the logits have 3'):
        loss(torch.zeros(1, 3, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match='per-pixel weights'):
        loss(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long),
             weight=torch.ones(1, 2, 2))
    with pytest.raises(ValueError, match='>= num_classes'):
        loss(torch.zeros(1, 2, 1, 1), torch.full((1, 1, 1), 7))
