"""Fixes of upstream versions (mmcv-lite, mmseg 1.2.2, MMEngine 0.10.7).

One module per upstream problem; each module's docstring says which
versions need it and which version (or test) shows it can go:

1. :mod:`.mmcv_ext` -- mmcv-lite has no compiled ``mmcv._ext``: a stub lets
   ``import mmseg.models`` work.
2. :mod:`.known_warnings` -- harmless warnings of the stack, filtered by
   message (the test suite applies the same list).
3. :mod:`.optim_wrapper` -- one DDA iteration backpropagated in parts
   counts as one optimiser step (called by ``DDA``, nothing installed).
4. :mod:`.cpu_distributed` -- ``--launcher pytorch`` on CPU machines
   (called by the train/test tools, nothing installed).

The project's own choices (checked and crash-safe checkpoints, the concise
console) are not here: they are :class:`~mmseg_dda.engine.DDARunner` and
:class:`~mmseg_dda.engine.hooks.AtomicCheckpointHook`, selected by the
configs, and :mod:`mmseg_dda.checkpoint`. Importing this package replaces
no MMEngine or MMSeg object.
"""
from .known_warnings import KNOWN_WARNINGS, filter_known_warnings
from .mmcv_ext import install_mmcv_ext_stub

filter_known_warnings()
install_mmcv_ext_stub()

__all__ = ['KNOWN_WARNINGS', 'filter_known_warnings', 'install_mmcv_ext_stub']
