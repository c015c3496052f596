import pytest
import torch

import mmseg_dda  # noqa: F401
from mmseg.registry import MODELS
from mmseg_dda.models.losses import BerHuLoss, berhu_loss


def test_both_branches_hand_computed():
    pred = torch.tensor([[[[0., 1., 2., 10.]]]], requires_grad=True)
    target = torch.zeros(1, 1, 4)  # (N,H,W) vs (N,1,H,W) like depth GT
    # c = 0.2 * 10 = 2; linear: 0 + 1 + 2; quadratic: (100 + 4) / 4 = 26.
    loss = berhu_loss(pred, target)
    assert loss.item() == pytest.approx((3 + 26) / 4)
    loss.backward()
    # d/dp: sign / numel on the linear side, adiff / c / numel beyond c
    # (c is a constant).
    torch.testing.assert_close(pred.grad.flatten(),
                               torch.tensor([0., .25, .25, 10 / 2 / 4]))


def test_threshold_ratio_and_negative_diffs():
    pred = torch.tensor([-4., 1.])
    target = torch.tensor([0., 0.])
    # c = 0.5 * 4 = 2: |−4| > 2 -> (16 + 4) / 4 = 5; |1| -> 1.
    assert berhu_loss(pred, target, threshold_ratio=0.5).item() == \
        pytest.approx(3.)


def test_zero_difference_guard_keeps_graph():
    pred = torch.ones(1, 1, 2, 3, requires_grad=True)
    loss = berhu_loss(pred, torch.ones(1, 1, 2, 3))
    assert loss.item() == 0 and loss.requires_grad
    loss.backward()
    assert torch.isfinite(pred.grad).all()


def test_module_and_registry():
    loss = MODELS.build(dict(type='BerHuLoss', loss_weight=0.5))
    assert isinstance(loss, BerHuLoss) and loss.loss_name == 'loss_berhu'
    pred, target = torch.tensor([0., 1., 2., 10.]), torch.zeros(4)
    assert loss(pred, target, weight=None, ignore_index=255).item() == \
        pytest.approx(0.5 * 29 / 4)
    w = torch.tensor([1., 1., 1., 0.])
    assert loss(pred, target, weight=w).item() == pytest.approx(0.5 * 3 / 4)
    with pytest.raises(ValueError, match='do not match'):
        loss(torch.zeros(2, 3), torch.zeros(3, 2))
