"""Re-estimating BatchNorm statistics on other images (AdaBN-style).

Used by ``tools/recalibrate_bn.py`` and the demo's "+ target BN" rows
(docs/demo.md): every BN layer's running mean and variance become their
cumulative average over the given batches, no weight changes.
"""
from typing import Iterable

import torch


def recalibrate_bn(model: torch.nn.Module,
                   batches: Iterable[torch.Tensor]) -> int:
    """Replace every BN layer's running statistics by their average over
    ``model.extract_feat(batch)`` for ``batch`` in ``batches``.

    Returns:
        int: The number of BN layers reset.
    """
    norms = [m for m in model.modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
    was_training = model.training
    model.train()
    with torch.no_grad():
        for batch in batches:
            model.extract_feat(batch)
    model.train(was_training)
    return len(norms)
