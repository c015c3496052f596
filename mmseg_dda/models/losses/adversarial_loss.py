"""Adversarial BCE against constant domain labels (docs/method.md §4).

Provenance: as ADVENT/DADA/DDA ``bce_loss``: BCE-with-logits, mean over the
discriminator's output map, source = 0 and target = 1.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

#: Domain label of source (SYNTHIA) maps.
SOURCE_LABEL = 0.
#: Domain label of target (real) maps.
TARGET_LABEL = 1.


def adversarial_bce(logits: Tensor, domain_label: float) -> Tensor:
    """Mean BCE-with-logits of a discriminator map against a constant label.

    Args:
        logits (Tensor): Discriminator output, e.g. ``(N, 1, h, w)``.
        domain_label (float): :data:`SOURCE_LABEL` or :data:`TARGET_LABEL`.

    Returns:
        Tensor: Scalar loss.
    """
    target = torch.full_like(logits, float(domain_label))
    return F.binary_cross_entropy_with_logits(logits, target)
