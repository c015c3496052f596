"""BerHu (reverse Huber) loss for depth and density (docs/method.md §5.2).

Provenance: same definition as the DDA/DADA reference ``loss_berHu``
(``main/utils/func.py``); re-implemented from the specification. Deliberate
difference: ``c = 0`` (all differences zero) returns 0 instead of NaN.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor


def berhu_loss(pred: Tensor,
               target: Tensor,
               threshold_ratio: float = 0.2,
               weight: Optional[Tensor] = None) -> Tensor:
    """BerHu loss averaged over all elements.

    ``adiff = |pred - target|``, ``c = threshold_ratio * max(adiff)`` over the
    whole batch (a constant, not differentiated); elements with
    ``adiff <= c`` contribute ``adiff``, the others ``(adiff^2 + c^2) / (2c)``;
    the sum is divided by ``pred.numel()``. There is no valid-pixel mask, as in
    the reference.

    Args:
        pred (Tensor): Prediction, e.g. ``(N, 1, H, W)``.
        target (Tensor): Target with the same shape up to singleton dims
            (compared after ``squeeze()`` like the reference, e.g.
            ``(N, 1, H, W)`` vs ``(N, H, W)``).
        threshold_ratio (float): Ratio of the maximum difference giving ``c``.
        weight (Tensor, optional): Element-wise weights broadcastable to the
            squeezed shape (not used by the reference).

    Returns:
        Tensor: Scalar loss (0 with a graph when all differences are 0).
    """
    p, t = pred.squeeze(), target.squeeze()
    if p.shape != t.shape:
        raise ValueError(f'berhu_loss: pred {tuple(pred.shape)} and target '
                         f'{tuple(target.shape)} do not match')
    adiff = (p - t.to(p.dtype)).abs()
    c = threshold_ratio * adiff.detach().max()
    # Safe denominator: with c == 0 every element takes the linear branch,
    # but the other branch must not produce inf/NaN gradients through where.
    c_safe = torch.where(c > 0, c, torch.ones_like(c))
    quad = (adiff**2 + c**2) / (2 * c_safe)
    per_elem = torch.where(adiff <= c, adiff, quad)
    if weight is not None:
        per_elem = per_elem * weight.squeeze().to(per_elem.dtype)
    return per_elem.sum() / pred.numel()


@MODELS.register_module()
class BerHuLoss(nn.Module):
    """BerHu loss module (mmseg loss conventions).

    Args:
        threshold_ratio (float): ``c = threshold_ratio * max|diff|``.
            Default 0.2.
        loss_weight (float): Multiplier of the loss. Default 1.0.
        loss_name (str): Key of the loss in the loss dict. Default
            ``'loss_berhu'``.
    """

    def __init__(self,
                 threshold_ratio: float = 0.2,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_berhu') -> None:
        super().__init__()
        self.threshold_ratio = threshold_ratio
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Compute the loss.

        ``ignore_index`` is accepted for the decode-head call signature but
        unused: depth and density targets are real-valued and the reference
        applies no mask.
        """
        return self.loss_weight * berhu_loss(
            pred, target, self.threshold_ratio, weight=weight)

    @property
    def loss_name(self) -> str:
        """str: Name of the loss item."""
        return self._loss_name
