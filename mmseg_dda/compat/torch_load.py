"""torch >= 2.6: MMEngine loads every checkpoint with ``weights_only=True``.

**Upstream problem.** torch 2.6 made ``weights_only=True`` the default of
``torch.load``; MMEngine 0.10.7's local loader
(``CheckpointLoader.load_from_local``) calls ``torch.load`` without the
argument, so its own checkpoints (NumPy values in ``meta``) fail to load,
and switching ``weights_only`` off would let any checkpoint run pickled
code.

**Fix.** MMEngine's local-file loader is replaced by
:func:`safe_torch_load`, which always loads with ``weights_only=True``:
third-party weights (``load_from``, ``Pretrained`` init, converted
checkpoints) and the user's own training checkpoints (``--resume``) alike,
so no checkpoint can run pickled code. The NumPy types MMEngine writes into
``meta`` are allow-listed;
:class:`~mmseg_dda.engine.hooks.PlainCheckpointHook` stores the message-hub
history as tensors, and the optimiser and scheduler states are plain
containers of tensors and numbers, so resume needs nothing else.

**Needed by.** torch >= 2.6 with MMEngine <= 0.10.7. **Can go** when
MMEngine loads local checkpoints with ``weights_only=True`` itself and
writes its message hub without pickled objects: then
``tests/test_compat/test_torch_load.py`` and the resume tests
(``tests/test_robustness/test_resume.py``) pass without
:func:`install_checkpoint_loader`.
"""
import os.path as osp


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
