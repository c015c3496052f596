"""Tests of NaNLossGuardHook."""
import mmseg_dda  # noqa: F401
from types import SimpleNamespace

import pytest
import torch
from mmseg_dda.engine.hooks import NaNLossGuardHook


def test_passes_finite_and_names_bad_losses():
    hook = NaNLossGuardHook()
    runner = SimpleNamespace(iter=41)
    hook.after_train_iter(runner, 0, outputs=dict(
        loss=torch.tensor(1.), acc=torch.tensor(float('nan'))))
    with pytest.raises(FloatingPointError,
                       match=r'iteration 41: decode\.loss_ce=nan'):
        hook.after_train_iter(runner, 0, outputs=dict(
            loss=torch.tensor(1.), **{'decode.loss_ce': torch.tensor(
                float('nan'))}))
    only = NaNLossGuardHook(keys=['loss'])
    only.after_train_iter(runner, 0, outputs={'x.loss_y': float('inf'),
                                              'loss': 2.})
    with pytest.raises(FloatingPointError, match='loss=inf'):
        only.after_train_iter(runner, 0, outputs={'loss': float('inf')})
