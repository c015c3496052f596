"""Tests of :mod:`mmseg_dda.compat.optim_wrapper`."""
import pytest
import torch
from mmengine.optim import OptimWrapper

import mmseg_dda  # noqa: F401
from mmseg_dda.compat.optim_wrapper import uncount_backward


def _wrapper(accumulative_counts):
    model = torch.nn.Linear(2, 1, bias=False)
    return model, OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0),
                               accumulative_counts=accumulative_counts)


def test_two_part_iteration_counts_as_one_step():
    model, wrapper = _wrapper(accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 10)
    param = model.weight
    for last, scale in ((False, 1.0), (True, 2.0)):
        wrapper.backward((param * scale).sum())
        if not last:
            uncount_backward(wrapper)
    # One iteration of two accumulated: no update yet (MMEngine alone
    # would count two backward passes and update now).
    assert not wrapper.should_update()
    # Both parts' gradients are kept for the step.
    assert torch.equal(param.grad, torch.full((1, 2), 3.0))


def test_missing_counter_is_reported():
    class _Other:
        pass

    with pytest.raises(AttributeError, match='compat/optim_wrapper.py'):
        uncount_backward(_Other())
