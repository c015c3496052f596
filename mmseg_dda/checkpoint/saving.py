"""Crash-safe checkpoint files: written under a temporary name, then renamed.

A checkpoint is written to ``.<name>.<random>.tmp`` in its folder, flushed
to disk and moved into place with :func:`os.replace`, so a run killed while
saving leaves the previous checkpoint and, at most, a hidden temporary file:
never a truncated file under a final name that ``--resume`` or
``tools/test.py`` would pick up. Used by
:class:`~mmseg_dda.engine.hooks.AtomicCheckpointHook` (training) and by the
tools that write checkpoints (:func:`save_checkpoint_atomic`).
"""
import contextlib
import os
import os.path as osp
import secrets
from typing import Dict, Optional

import torch
from torch import Tensor

from ..utils.atomic_io import atomic_open


def is_local_path(path: str) -> bool:
    """False for URIs of other storage backends (``s3://`` ...)."""
    return '://' not in str(path)


def temporary_name(filename: str) -> str:
    """A hidden same-folder name for writing ``filename`` (base name)."""
    return f'.{filename}.{secrets.token_hex(4)}.tmp'


def commit_temporary(tmp_path: str, final_path: str) -> None:
    """Flush ``tmp_path`` to disk and move it to ``final_path``."""
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp_path, final_path)


def discard_temporary(tmp_path: str) -> None:
    """Remove a temporary file left by a failed write (if any)."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(tmp_path)


def atomic_write_text(path: str, text: str) -> None:
    """Replace ``path`` by ``text`` atomically (e.g. ``last_checkpoint``)."""
    with atomic_open(path, 'w', fsync=True, encoding='utf-8') as f:
        f.write(text)


def save_checkpoint_atomic(state_dict: Dict[str, Tensor], path: str,
                           meta: Optional[dict] = None) -> None:
    """Write ``{'meta': meta, 'state_dict': state_dict}`` atomically.

    ``meta`` should hold plain types only (it is read back with
    ``weights_only=True``).
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with atomic_open(path, fsync=True) as f:
        torch.save(dict(meta=dict(meta or {}), state_dict=state_dict), f)
