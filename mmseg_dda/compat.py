"""Runtime shims for the verified CPU stack (mmcv-lite, torch >= 2.6).

Imported first by :mod:`mmseg_dda` and by the entry scripts, before anything
from mmseg is built. Independent fixes (the first two are described in
``docs/ENVIRONMENT.md`` of the shared notes):

1. **mmcv-lite.** mmseg imports ``mmcv.ops`` at module level, which needs the
   compiled ``mmcv._ext``. When no real extension can be found, a stub module
   with a loader-less spec is registered, so ``import mmseg.models`` succeeds
   and MMEngine's "is full mmcv installed" probe answers *no*. A compiled op
   looked up on the stub raises ``NotImplementedError`` when called. With full
   mmcv installed nothing is changed.
2. **torch >= 2.6 checkpoints.** ``torch.load`` now defaults to
   ``weights_only=True`` and MMEngine 0.10.7 does not pass the argument. The
   local-file loader of MMEngine is replaced by :func:`safe_torch_load`,
   which always loads with ``weights_only=True``: third-party weights
   (``load_from``, ``Pretrained`` init, converted checkpoints) and the
   user's own training checkpoints (``--resume``) alike, so no checkpoint
   can run pickled code. NumPy arrays and scalars (found in MMEngine's
   checkpoint ``meta``) are allow-listed;
   :class:`~mmseg_dda.utils.PlainCheckpointHook` stores the message-hub
   history as tensors, the optimiser and scheduler states are plain
   containers of tensors and numbers, so resume needs nothing else.
   :mod:`mmseg_dda.utils.checked_loading` makes every checkpoint the Runner
   loads fill the whole model (or refuses it).
3. **Crash-safe checkpoints.** :mod:`mmseg_dda.utils.atomic_checkpoint`
   makes MMEngine write checkpoints and ``last_checkpoint`` atomically and
   delete old checkpoints only after the new one is in place.
4. **Known warnings** of the stack are filtered by message
   (:data:`KNOWN_WARNINGS`).
"""
import importlib.machinery
import importlib.util
import os.path as osp
import sys
import types
import warnings


def install_mmcv_ext_stub() -> bool:
    """Register a stub ``mmcv._ext`` when the compiled extension is absent.

    Returns:
        bool: True if the stub was installed, False if a real extension
        exists (or a stub was already installed).
    """
    if 'mmcv._ext' in sys.modules:
        return False
    try:
        if importlib.util.find_spec('mmcv._ext') is not None:
            return False
    except (ImportError, ValueError):
        pass

    stub = types.ModuleType('mmcv._ext')
    # A spec without loader: MMEngine's probe then reports "no full mmcv".
    stub.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)

    def _missing(name):
        raise NotImplementedError(
            f'mmcv._ext.{name} is a compiled mmcv op, but only mmcv-lite is '
            'installed. Install full mmcv (with ops) to use it.')

    def __getattr__(name):  # noqa: N807 - module-level attribute hook
        if name.startswith('__'):
            raise AttributeError(name)

        def op(*args, **kwargs):
            _missing(name)

        return op

    stub.__getattr__ = __getattr__
    sys.modules['mmcv._ext'] = stub
    return True


def safe_torch_load(filename, map_location=None):
    """``torch.load`` with ``weights_only=True`` and a clear error message.

    Args:
        filename (str): Path of the checkpoint.
        map_location: Same as :func:`torch.load`.

    Returns:
        The loaded object (tensors, containers and allow-listed types only).

    Raises:
        FileNotFoundError: If the file does not exist.
        RuntimeError: If the file would need arbitrary unpickling.
    """
    import pickle

    import torch
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as err:
        raise RuntimeError(
            f'Refusing to load {filename}: it is not a plain weights file and '
            'loading it would run pickled code (torch.load weights_only=True '
            f'failed: {str(err).splitlines()[0]}). If you trust the file, '
            'convert it once, in isolation, into a plain state dict.') from err


def _allow_mmengine_checkpoint_types() -> None:
    """Allow-list the NumPy types MMEngine writes into checkpoint metadata."""
    import numpy as np
    import torch

    safe = [np.ndarray, np.dtype]
    safe += [type(np.dtype(t)) for t in
             ('float64', 'float32', 'int64', 'int32', 'bool', 'uint8')]
    try:
        from numpy._core.multiarray import _reconstruct, scalar
        safe += [_reconstruct, scalar]
    except ImportError:  # numpy < 2
        pass
    torch.serialization.add_safe_globals(safe)


def install_checkpoint_loader() -> None:
    """Route MMEngine's local checkpoint loading through the safe loader."""
    from mmengine.runner.checkpoint import CheckpointLoader

    CheckpointLoader.register_scheme(
        prefixes='', loader=safe_torch_load, force=True)
    _allow_mmengine_checkpoint_types()


# Deprecation and advice warnings the stack prints on every run although
# nothing is wrong in this project's use; matched by message, never wholesale.
KNOWN_WARNINGS = (
    # mmseg's BaseDecodeHead builds its losses through build_loss.
    (r'``build_loss`` would be deprecated soon', UserWarning),
    # mmseg's resize() advice for align_corners=True: the reference upsamples
    # stride-8 logits to the input size with align_corners=True on purpose.
    (r'When align_corners=True, the output would more aligned', UserWarning),
    # SegVisualizationHook without drawing (the default in training).
    (r'The draw is False, it means that the hook', UserWarning),
    # mmengine's DDP wrapper forwarding broadcast_buffers to torch >= 2.11.
    (r'`broadcast_buffers` is deprecated', FutureWarning),
    # mmengine's AmpOptimWrapper still builds torch.cuda.amp.GradScaler.
    (r'`torch\.cuda\.amp\.GradScaler\(args\.\.\.\)` is deprecated',
     FutureWarning),
)


def filter_known_warnings() -> None:
    """Silence the known, harmless warnings of the stack (by message)."""
    for message, category in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)


install_mmcv_ext_stub()
install_checkpoint_loader()
filter_known_warnings()
# 3. Crash-safe checkpoint writing and resume lookup (see the module).
from .utils.atomic_checkpoint import install_atomic_checkpointing  # noqa: E402

install_atomic_checkpointing()
# 2. Checked loading: a checkpoint must fill the whole model (see the module).
from .utils.checked_loading import install_checked_loading  # noqa: E402

install_checked_loading()
