"""Per-channel normalised entropy map (docs/method.md §4).

Provenance: as ADVENT/DADA/DDA ``prob_2_entropy``: base-2 logarithm,
normalised by ``log2(C)``, kept per channel (C channels feed the
discriminator), with ``1e-30`` inside the logarithm.
"""
import math

import torch
from torch import Tensor


def entropy_map(prob: Tensor) -> Tensor:
    """``-p * log2(p + 1e-30) / log2(C)`` for every channel.

    Args:
        prob (Tensor): Softmax probabilities ``(N, C, H, W)``, C >= 2.

    Returns:
        Tensor: ``(N, C, H, W)``; summing over C gives the normalised entropy.
    """
    if prob.ndim != 4:
        raise ValueError('entropy_map expects (N, C, H, W) probabilities, got '
                         f'shape {tuple(prob.shape)}')
    num_classes = prob.shape[1]
    if num_classes < 2:
        raise ValueError('entropy_map needs at least 2 classes')
    return -prob * torch.log2(prob + 1e-30) / math.log2(num_classes)
