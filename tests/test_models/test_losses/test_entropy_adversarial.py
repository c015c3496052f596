import math

import pytest
import torch

import mmseg_dda  # noqa: F401
from mmseg_dda.models.losses import (SOURCE_LABEL, TARGET_LABEL,
                                     adversarial_bce, entropy_map)


def test_entropy_map_values():
    prob = torch.tensor([0.5, 0.5]).view(1, 2, 1, 1)
    # -0.5 * log2(0.5) / log2(2) = 0.5 per channel (not summed).
    torch.testing.assert_close(entropy_map(prob), torch.full((1, 2, 1, 1), .5))
    uniform4 = torch.full((1, 4, 1, 1), 0.25)
    torch.testing.assert_close(entropy_map(uniform4),
                               torch.full((1, 4, 1, 1), 0.25))
    onehot = torch.tensor([1., 0., 0.]).view(1, 3, 1, 1)
    assert entropy_map(onehot).abs().max() == 0  # 1e-30 keeps log finite
    p = torch.tensor([0.7, 0.2, 0.1]).view(1, 3, 1, 1)
    exp = [-v * math.log2(v) / math.log2(3) for v in (0.7, 0.2, 0.1)]
    torch.testing.assert_close(entropy_map(p).flatten(), torch.tensor(exp))
    with pytest.raises(ValueError):
        entropy_map(torch.ones(3, 1, 1))


def test_adversarial_bce():
    assert SOURCE_LABEL == 0. and TARGET_LABEL == 1.
    logits = torch.zeros(1, 1, 2, 3)
    assert adversarial_bce(logits, SOURCE_LABEL).item() == pytest.approx(
        math.log(2))
    x = torch.tensor([2., -1.]).view(1, 1, 1, 2)
    # target 1: mean softplus(-x); target 0: mean softplus(x).
    sp = lambda v: math.log1p(math.exp(v))  # noqa: E731
    assert adversarial_bce(x, TARGET_LABEL).item() == pytest.approx(
        (sp(-2.) + sp(1.)) / 2)
    assert adversarial_bce(x, SOURCE_LABEL).item() == pytest.approx(
        (sp(2.) + sp(-1.)) / 2)
