"""Reading checkpoint files: the one reader of every tool and of the runner.

Every file is read with ``torch.load(weights_only=True)``: no checkpoint can
run pickled code. What is not a readable checkpoint gets one line naming the
file and saying what it is instead (:class:`CheckpointFileError`): missing,
empty, truncated or corrupt (an interrupted copy or download), not a
PyTorch file at all (random bytes, text, a NumPy array...), a file that
would need pickled code, or a file that holds no state dict. torch's own
messages for these ("failed finding central directory", a bare
``EOFError``, "Weights only load failed" for random bytes) name neither the
file nor the problem.

The NumPy types MMEngine may write into ``meta`` are allowed while reading
(:data:`ALLOWED_NUMPY_TYPES`, a ``torch.serialization.safe_globals``
context: nothing is allowed process-wide).
"""
import os
import os.path as osp
import pickle
import re
import zipfile
from collections import OrderedDict
from typing import Any, Iterable, List, Tuple

import numpy as np
import torch
from torch import Tensor

#: First bytes of the two formats of ``torch.save``.
ZIP_MAGIC = b'PK\x03\x04'
PICKLE_PROTOCOL_BYTE = b'\x80'


class CheckpointFileError(ValueError):
    """A file that is not a readable checkpoint (the message says why)."""


def _numpy_types() -> List[Any]:
    safe: List[Any] = [np.ndarray, np.dtype]
    safe += [type(np.dtype(t)) for t in
             ('float64', 'float32', 'int64', 'int32', 'bool', 'uint8')]
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    return safe + [_reconstruct, scalar]


#: NumPy arrays, dtypes and scalars (MMEngine writes them into ``meta``).
ALLOWED_NUMPY_TYPES = _numpy_types()


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _what_zip_is_wrong(filename: str) -> str:
    try:
        with zipfile.ZipFile(filename) as archive:
            archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return ('truncated or corrupt: the zip archive of torch.save is '
                'incomplete (no central directory), e.g. an interrupted '
                'copy, download or save')
    return ''


def read_checkpoint(filename: str, map_location='cpu') -> Any:
    """Read a checkpoint file with ``weights_only=True``.

    Args:
        filename (str): Local path.
        map_location: As for :func:`torch.load`.

    Returns:
        The loaded object (tensors, containers, plain and NumPy values).

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointFileError: If it is empty, truncated, corrupt, not a
            PyTorch file, or would need pickled code; one line naming the
            file.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    size = os.path.getsize(filename)
    if size == 0:
        raise CheckpointFileError(
            f'{filename} is empty (0 bytes), not a checkpoint: it was never '
            'written completely')
    with open(filename, 'rb') as f:
        head = f.read(4)
    if head == ZIP_MAGIC:
        problem = _what_zip_is_wrong(filename)
        if problem:
            raise CheckpointFileError(f'{filename} is {problem} '
                                      f'({size} bytes)')
    elif not head.startswith(PICKLE_PROTOCOL_BYTE):
        raise CheckpointFileError(
            f'{filename} is not a PyTorch checkpoint: it starts with '
            f'{head!r}, neither a zip archive nor a pickle (random data or '
            'another kind of file)')
    try:
        with torch.serialization.safe_globals(ALLOWED_NUMPY_TYPES):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as err:
        detail = _first_line(err)
        full = str(err)
        if 'Unsupported global' in full or 'GLOBAL' in full:
            found = re.search(r'GLOBAL ([\w.]+)', full)
            what = f' ({found.group(1)})' if found else ''
            raise CheckpointFileError(
                f'Refusing to load {filename}: it is not a plain weights '
                f'file and loading it would run pickled code{what}. If you '
                'trust the file, convert it once, in isolation, into a '
                'plain state dict.') from None
        if 'truncated' in full or 'ran out of input' in full.lower():
            raise CheckpointFileError(
                f'{filename} is truncated: the pickle ends early '
                f'({size} bytes), e.g. an interrupted copy or save') from None
        raise CheckpointFileError(
            f'{filename} is corrupt or not a PyTorch checkpoint '
            f'({detail[:160]})') from None
    except EOFError:
        raise CheckpointFileError(
            f'{filename} is truncated: it ends early ({size} bytes), e.g. '
            'an interrupted copy or save') from None
    except (RuntimeError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise CheckpointFileError(
            f'{filename} is corrupt or not a PyTorch checkpoint '
            f'({type(err).__name__}: {_first_line(err)[:160]})') from None


def revise_keys(state_dict: dict,
                rules: Iterable[Tuple[str, str]]) -> OrderedDict:
    """MMEngine's ``revise_keys`` (e.g. strip ``module.``), metadata kept."""
    metadata = getattr(state_dict, '_metadata', None)
    out = OrderedDict(state_dict)
    for pattern, repl in rules:
        out = OrderedDict(
            (re.sub(pattern, repl, k), v) for k, v in out.items())
    if metadata is not None:
        out._metadata = metadata
    return out


def checkpoint_state_dict(checkpoint: Any, filename: str,
                          rules: Iterable[Tuple[str, str]] = (
                              (r'^module\.', ''), )) -> OrderedDict:
    """The weights of a loaded checkpoint (``state_dict`` or the dict itself).

    Raises:
        CheckpointFileError: If it holds no mapping of names to tensors.
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointFileError(
            f'{filename} is not a checkpoint: it holds a '
            f'{type(checkpoint).__name__}, not a dict of tensors')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict) or not any(
            isinstance(v, Tensor) for v in state_dict.values()):
        raise CheckpointFileError(
            f'{filename} is not a checkpoint: it holds no tensors '
            f'(keys: {list(checkpoint)[:5]})')
    return revise_keys(state_dict, rules)


def checkpoint_hint(checkpoint: Any) -> str:
    """What a converted checkpoint is for, from its ``meta.kind``."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict) and meta.get('kind') == 'imagenet':
        return (' It holds ImageNet backbone weights only (converted with '
                "--kind imagenet): use them as the backbone's init_cfg="
                "dict(type='Pretrained', checkpoint=...), not as load_from.")
    return ''


def load_model_checkpoint(model, filename: str, map_location='cpu',
                          logger=None) -> dict:
    """Load a checkpoint into a model outside the Runner, checked.

    For tools that build the model themselves (inference, pseudo-labels,
    BN recalibration, figures): :func:`read_checkpoint`, then the layout
    mapping and refusal of
    :func:`~mmseg_dda.checkpoint.fitting.fit_state_dict` (a missing
    discriminator is accepted, as for testing).

    Args:
        model (nn.Module): Segmentor or DDA model (unwrapped).
        filename (str): Checkpoint path.
        map_location: As for :func:`torch.load`.
        logger: Where to log the loading and what was adapted or ignored
            (an MMLogger; ``'silent'``: nothing; None: the loading line is
            printed).

    Returns:
        dict: The loaded checkpoint.

    Raises:
        CheckpointFileError: See :func:`read_checkpoint`.
        IncompleteCheckpointError: If the checkpoint leaves model tensors
            unset.
    """
    from mmengine.logging import print_log

    from .fitting import fit_state_dict
    checkpoint = read_checkpoint(filename, map_location=map_location)
    if logger != 'silent':
        print_log(f'Loads checkpoint from path: {filename}', logger=logger)
    if not hasattr(logger, 'info'):
        logger = None
    fitted = fit_state_dict(model, checkpoint_state_dict(checkpoint, filename),
                            filename, allow_missing_discriminator=True,
                            logger=logger, hint=checkpoint_hint(checkpoint))
    # Not strict: only the discriminator and BN counters may be absent
    # (checked above); shape mismatches still raise.
    model.load_state_dict(fitted, strict=False)
    return checkpoint
