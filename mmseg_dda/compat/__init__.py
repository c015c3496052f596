"""Workarounds for the stack (mmcv-lite, torch >= 2.6, MMEngine 0.10.7).

Imported first by :mod:`mmseg_dda` (and so by every tool), before anything
from mmseg is built. One module per upstream problem; each module's
docstring says which versions need it and how to tell when it can go:

1. :mod:`.mmcv_ext` -- mmcv-lite has no compiled ``mmcv._ext``: a stub lets
   ``import mmseg.models`` work.
2. :mod:`.torch_load` -- torch >= 2.6 ``weights_only`` loading: MMEngine's
   local loader always loads with ``weights_only=True``.
3. :mod:`.known_warnings` -- harmless warnings of the stack, filtered by
   message (the test suite applies the same list).
4. :mod:`.atomic_checkpoint` -- crash-safe checkpoint writing and resume
   lookup.
5. :mod:`.checked_loading` -- the Runner refuses checkpoints that leave
   model tensors unloaded.
6. :mod:`.optim_wrapper` -- one DDA iteration backpropagated in parts
   counts as one optimiser step (called by ``DDA``, nothing installed).
7. :mod:`.cpu_distributed` -- ``--launcher pytorch`` on CPU machines
   (called by the train/test tools, nothing installed).
8. :mod:`.config_text` -- MMEngine re-formats the whole config with yapf
   each time it prints it: the formatting is memoised.

Installing is idempotent. The order is the one the shims always had,
except that the warning filters come first: they interact with nothing,
and the imports the other shims make (MMEngine, torch.distributed) are then
quiet too.
"""
from .known_warnings import KNOWN_WARNINGS, filter_known_warnings
from .mmcv_ext import install_mmcv_ext_stub
from .torch_load import install_checkpoint_loader, safe_torch_load

filter_known_warnings()
install_mmcv_ext_stub()
install_checkpoint_loader()
# Crash-safe checkpoint writing and resume lookup (see the module).
from .atomic_checkpoint import install_atomic_checkpointing  # noqa: E402

install_atomic_checkpointing()
# Checked loading: a checkpoint must fill the whole model (see the module).
from .checked_loading import install_checked_loading  # noqa: E402

install_checked_loading()
# The config text is formatted once per distinct config (see the module).
from .config_text import install_config_text_cache  # noqa: E402

install_config_text_cache()

__all__ = [
    'KNOWN_WARNINGS', 'filter_known_warnings', 'install_atomic_checkpointing',
    'install_checked_loading', 'install_checkpoint_loader',
    'install_config_text_cache',
    'install_mmcv_ext_stub', 'safe_torch_load'
]
