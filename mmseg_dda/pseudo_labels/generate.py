"""Pseudo-label from feature-grid logits: upsample, threshold, filter (§8.1).

Provenance: the order of operations follows the reference's
``gene_UDA.py:gene_pseudo_labels_*`` as specified in docs/method.md §8.1:
bilinear ``align_corners=True`` upsampling of the logits to the training
input size, softmax, ``max`` over classes, ``conf < 0.9 -> 255``, then the
spatial aggregation prior (§8.2).
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from .spatial_prior import filter_small_components

# Reference confidence threshold, the same for every class (§8.1).
DEFAULT_THRESHOLD = 0.9


def check_threshold(threshold: Union[float, Sequence[float]],
                    name: str = 'threshold') -> None:
    """Refuse confidence thresholds outside ``(0, 1]``.

    A softmax confidence lies in ``[1/C, 1]``: above 1 no pixel is ever
    labelled, and 0 or less keeps every pixel (use a value below ``1/C``
    for that).

    Raises:
        ValueError: Naming ``name`` and the offending value.
    """
    values = np.asarray(threshold, dtype=np.float64).reshape(-1)
    bad = [float(v) for v in values if not (0 < v <= 1)]
    if bad:
        raise ValueError(f'{name} must be in (0, 1] (a softmax confidence), '
                         f'got {bad[0]}')


def make_pseudo_label(
    seg_logits: torch.Tensor,
    out_hw: Tuple[int, int],
    threshold: Union[float, Sequence[float]] = DEFAULT_THRESHOLD,
    min_count: Optional[Sequence[int]] = None,
    valid_hw: Optional[Tuple[int, int]] = None,
    ignore_index: int = 255,
) -> Tuple[np.ndarray, np.ndarray]:
    """Turn one image's feature-grid logits into a pseudo-label.

    Args:
        seg_logits (torch.Tensor): ``(C, h, w)`` logits at the feature grid
            (any device; the upsampling and softmax run there).
        out_hw (tuple[int, int]): ``(H, W)`` to upsample to: the network
            input size (e.g. 760x1280).
        threshold (float | Sequence[float]): Confidence threshold, one value
            or one per class; pixels with ``conf < threshold[pred]`` get
            ``ignore_index``. Defaults to 0.9.
        min_count (Sequence[int], optional): Per-class minimum component size
            for :func:`filter_small_components`; ``None`` skips the filter.
        valid_hw (tuple[int, int], optional): Crop the upsampled map to its
            top-left ``(H', W')`` before thresholding (to drop batch padding
            added by the data preprocessor). Defaults to ``out_hw``.
        ignore_index (int): Value of unlabelled pixels. Defaults to 255.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``label`` uint8 ``(H, W)`` and the
        softmax ``confidence`` float32 ``(H, W)`` of the predicted class
        (before thresholding and filtering).
    """
    if seg_logits.dim() != 3:
        raise ValueError('make_pseudo_label: seg_logits must be (C, h, w), '
                         f'got shape {tuple(seg_logits.shape)}')
    num_classes = seg_logits.shape[0]
    if num_classes > ignore_index:
        raise ValueError(f'make_pseudo_label: {num_classes} classes do not '
                         f'fit below ignore_index {ignore_index}')
    check_threshold(threshold)
    thr = torch.as_tensor(threshold, dtype=torch.float32,
                          device=seg_logits.device).reshape(-1)
    if thr.numel() not in (1, num_classes):
        raise ValueError(f'make_pseudo_label: threshold has {thr.numel()} '
                         f'values, expected 1 or {num_classes}')
    if min_count is not None and len(min_count) != num_classes:
        raise ValueError(f'make_pseudo_label: min_count has {len(min_count)} '
                         f'values, expected {num_classes}')
    if min_count is not None and min(min_count) < 0:
        raise ValueError('make_pseudo_label: min_count must be >= 0, got '
                         f'{min(min_count)}')
    logits = F.interpolate(
        seg_logits[None].float(), size=tuple(out_hw), mode='bilinear',
        align_corners=True)[0]
    if valid_hw is not None:
        logits = logits[:, :valid_hw[0], :valid_hw[1]]
    conf, pred = logits.softmax(dim=0).max(dim=0)
    thr = thr[pred] if thr.numel() > 1 else thr
    pred = torch.where(conf < thr, torch.full_like(pred, ignore_index), pred)
    label = pred.to(torch.uint8).cpu().numpy()
    if min_count is not None:
        label = filter_small_components(label, min_count, ignore_index)
    return label, conf.cpu().numpy().astype(np.float32)
