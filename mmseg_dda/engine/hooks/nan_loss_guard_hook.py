"""Stop training on a non-finite loss, naming the iteration and the losses.

:class:`DDA` checks its losses itself before stepping its optimisers. This
hook covers models trained with MMEngine's default ``train_step`` (source-only
training, self-training): it inspects the logged outputs after each
iteration. That is after the optimiser step, so it stops the run before a
second bad update and before a checkpoint is written with NaN weights.
"""
import math
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class NaNLossGuardHook(Hook):
    """Raise :class:`FloatingPointError` when a logged loss is NaN or inf.

    Args:
        keys (Sequence[str], optional): Output keys to check. Default: every
            key containing ``'loss'``.
    """

    priority = 'VERY_HIGH'  # before the checkpoint and logger hooks

    def __init__(self, keys: Optional[Sequence[str]] = None) -> None:
        self.keys = tuple(keys) if keys is not None else None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Check the outputs of the iteration that just ran."""
        if not outputs:
            return
        bad = []
        for key, value in outputs.items():
            if self.keys is not None and key not in self.keys:
                continue
            if self.keys is None and 'loss' not in key:
                continue
            number = float(value.detach().float().mean()) if isinstance(
                value, torch.Tensor) else float(value)
            if not math.isfinite(number):
                bad.append(f'{key}={number}')
        if bad:
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter}: '
                + ', '.join(bad))
