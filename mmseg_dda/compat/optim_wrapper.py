"""MMEngine's optimizer wrappers count every ``backward`` as one step.

**Upstream problem.** ``OptimWrapper.backward`` (MMEngine 0.10.7, also the
AMP and Apex wrappers) increments the private ``_inner_count``, which
decides gradient accumulation (``should_update``), the loss scale of
accumulation and DDP's ``no_sync``. DDA backpropagates one iteration's loss
in parts (the reference frees the source graph before the target forward),
so each iteration would count as two steps, and there is no public API to
backpropagate several parts of one step.

**Fix.** :func:`uncount_backward` takes back the count of a part that is
not the iteration's last one, so one iteration stays one step.

**Needed by.** MMEngine <= 0.10.7 (the count is private API and may
change). **Can go** when MMEngine offers a multi-part backward, or if
``_inner_count`` is renamed (then
``tests/test_compat/test_optim_wrapper.py`` fails and tells).
"""
from mmengine.optim import OptimWrapper


def uncount_backward(wrapper: OptimWrapper) -> None:
    """Undo the step count of the ``backward`` just done on ``wrapper``.

    Args:
        wrapper (OptimWrapper): The wrapper whose ``backward`` was called for
            a part of the iteration's loss that is not the last part.

    Raises:
        AttributeError: If the installed MMEngine has no ``_inner_count``
            (the workaround must then be revisited).
    """
    if not hasattr(wrapper, '_inner_count'):
        raise AttributeError(
            f'{type(wrapper).__name__} has no _inner_count: this MMEngine '
            'counts backward passes differently; revisit '
            'mmseg_dda/compat/optim_wrapper.py')
    wrapper._inner_count -= 1
