"""Class-weighted cross-entropy for segmentation (docs/method.md §5.3).

mmseg's ``CrossEntropyLoss`` with ``class_weight`` indexes the weight by the
label before masking ignored pixels, so label 255 goes out of range
(open-mmlab/mmsegmentation#3734). This loss computes the weighted mean
``sum_i w_{y_i} nll_i / sum_i w_{y_i}`` over valid pixels directly, which is
``F.cross_entropy(weight=w, ignore_index=255, reduction='mean')``.

Provenance: matches the DDA/ADVENT reference ``cross_entropy_2d``
(``main/utils/loss.py``): pixels with label < 0 or == ignore are dropped.
Deliberate difference: an image without valid pixel gives 0, not NaN (the
reference intended 0 with its empty-target check, which modern torch skips).
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class WeightedCrossEntropyLoss(nn.Module):
    """Weighted-mean cross-entropy with ignored pixels.

    Args:
        class_weight (Sequence[float], optional): One weight per class; None
            gives the unweighted mean over valid pixels.
        ignore_index (int): Label to ignore. Default 255.
        loss_weight (float): Multiplier of the loss. Default 1.0.
        loss_name (str): Key in the loss dict. Default ``'loss_ce'``.
    """

    def __init__(self,
                 class_weight: Optional[Sequence[float]] = None,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce') -> None:
        super().__init__()
        if class_weight is not None:
            class_weight = [float(w) for w in class_weight]
            if any(w < 0 for w in class_weight):
                raise ValueError('WeightedCrossEntropyLoss: class_weight must '
                                 f'be >= 0, got {class_weight}')
        self.class_weight = class_weight
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: Optional[int] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Logits ``(N, C, H, W)``.
            target (Tensor): Labels ``(N, H, W)`` (int).
            weight (Tensor, optional): Per-pixel weights of an mmseg pixel
                sampler; not supported (must be None).
            ignore_index (int, optional): Overrides the constructor's value
                (``BaseDecodeHead`` passes its own).
            avg_factor, reduction_override: Accepted for mmseg compatibility;
                only ``None``/``'mean'`` reduction is supported.

        Returns:
            Tensor: Scalar loss.
        """
        if weight is not None:
            raise ValueError('WeightedCrossEntropyLoss does not support '
                             'per-pixel weights (pixel samplers)')
        if reduction_override not in (None, 'mean') or avg_factor is not None:
            raise ValueError('WeightedCrossEntropyLoss only supports the mean '
                             'reduction without avg_factor')
        ignore = self.ignore_index if ignore_index is None else ignore_index
        num_classes = pred.shape[1]
        if target.shape != pred.shape[:1] + pred.shape[2:]:
            raise ValueError(f'WeightedCrossEntropyLoss: target shape '
                             f'{tuple(target.shape)} does not match logits '
                             f'{tuple(pred.shape)}')
        target = target.long()
        valid = (target >= 0) & (target != ignore)
        if self.class_weight is None:
            w = pred.new_ones(num_classes)
        else:
            if len(self.class_weight) != num_classes:
                raise ValueError(
                    f'WeightedCrossEntropyLoss: class_weight has '
                    f'{len(self.class_weight)} entries but the logits have '
                    f'{num_classes} classes')
            w = pred.new_tensor(self.class_weight)
        if (valid & (target >= num_classes)).any():
            raise ValueError(
                'WeightedCrossEntropyLoss: labels >= num_classes '
                f'({num_classes}) that are not ignore_index ({ignore})')
        safe_target = torch.where(valid, target, torch.zeros_like(target))
        # reduction='none' returns w[y] * nll per pixel (0 where ignored).
        nll = F.cross_entropy(
            pred, torch.where(valid, target, torch.full_like(target, -100)),
            weight=w, ignore_index=-100, reduction='none')
        denom = (w[safe_target] * valid).sum()
        loss = nll.sum() / denom.clamp_min(torch.finfo(nll.dtype).tiny)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """str: Name of the loss item."""
        return self._loss_name
