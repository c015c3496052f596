"""Crash-safe checkpointing for MMEngine's Runner and ``CheckpointHook``.

**Upstream problem.** MMEngine 0.10.7 has three windows in which a killed
training run leaves a work directory that ``--resume`` cannot use:

1. ``save_checkpoint`` writes the file in place (``LocalBackend.put`` opens the
   final name with ``'wb'``): a kill leaves a truncated ``iter_N.pth`` under
   its final name.
2. ``CheckpointHook`` removes the oldest kept checkpoint (``max_keep_ckpts``)
   *before* writing the new one: a kill during the write leaves no checkpoint
   while ``last_checkpoint`` still names the deleted file.
3. ``last_checkpoint`` itself is rewritten in place; a kill there leaves it
   empty.

**Fix.** :func:`install_atomic_checkpointing` (called by
:mod:`mmseg_dda.compat`, so every config and tool gets it) closes them:
local checkpoints are written to a temporary name in the same folder
(``.<name>.<random>.tmp``), flushed and renamed with :func:`os.replace`;
removals requested by the hook run only after the new checkpoint is in
place; ``last_checkpoint`` is replaced atomically; and the resume lookup
falls back to the newest complete
``iter_<N>.pth`` / ``epoch_<N>.pth`` when ``last_checkpoint`` is missing,
empty or names a file that does not exist. Remote backends (``s3://`` etc.)
keep MMEngine's behaviour.

**Needed by.** MMEngine <= 0.10.7 (``LocalBackend.put`` in
``mmengine/fileio/backends/local_backend.py``,
``CheckpointHook._save_checkpoint_with_step``).
**Can go** when MMEngine writes through a temporary file and removes old
checkpoints after the new one is saved: the kill tests in
``tests/test_robustness/test_interruption.py`` then pass without
:func:`install_atomic_checkpointing`.
"""
import glob
import io
import os.path as osp
import re
from typing import Optional

import torch

from ..utils.atomic_io import atomic_open

_CKPT_NAME = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def _is_local(filename: str) -> bool:
    return '://' not in str(filename)


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` via a same-folder temp file + rename.

    Args:
        data (bytes): File content.
        path (str): Destination; its folder is created if needed.
    """
    with atomic_open(path, fsync=True) as f:
        f.write(data)


def atomic_save_checkpoint(checkpoint: dict,
                           filename: str,
                           file_client_args: Optional[dict] = None,
                           backend_args: Optional[dict] = None) -> None:
    """Drop-in for :func:`mmengine.runner.checkpoint.save_checkpoint`.

    Local files are written atomically; other URIs go to MMEngine's original
    function.
    """
    if not _is_local(filename) or file_client_args is not None or \
            backend_args is not None:
        return _ORIGINAL['save_checkpoint'](checkpoint, filename,
                                            file_client_args, backend_args)
    with io.BytesIO() as buf:
        torch.save(checkpoint, buf)
        atomic_write_bytes(buf.getvalue(), str(filename))


def find_latest_checkpoint(path: str) -> Optional[str]:
    """Robust drop-in for :func:`mmengine.runner.find_latest_checkpoint`.

    Returns the file named by ``<path>/last_checkpoint`` when it exists,
    otherwise the ``iter_<N>.pth`` / ``epoch_<N>.pth`` in ``path`` with the
    largest N, otherwise None (training starts from scratch).
    """
    save_file = osp.join(path, 'last_checkpoint')
    if osp.isfile(save_file):
        with open(save_file) as f:
            last = f.read().strip()
        if last and (not _is_local(last) or osp.isfile(last)):
            return last
    found = []
    for file in glob.glob(osp.join(glob.escape(path), '*.pth')):
        match = _CKPT_NAME.match(osp.basename(file))
        if match:
            found.append((int(match.group(2)), file))
    return max(found)[1] if found else None


def _deferring_save_with_step(original):
    """Wrap ``CheckpointHook._save_checkpoint_with_step``.

    Removals of old checkpoints are queued and run after the new checkpoint
    was written; ``last_checkpoint`` is then rewritten atomically.
    """

    def _save_checkpoint_with_step(self, runner, step, meta):
        backend = self.file_backend
        queued = []
        patched = {}
        for name in ('remove', 'rmtree'):
            fn = getattr(backend, name, None)
            if fn is not None:
                patched[name] = fn
                setattr(backend, name,
                        lambda p, _fn=fn: queued.append((_fn, p)))
        try:
            original(self, runner, step, meta)
        finally:
            # The backend is a shared singleton: restore its methods.
            for name in patched:
                delattr(backend, name)
        last = getattr(self, 'last_ckpt', None)
        save_file = osp.join(runner.work_dir, 'last_checkpoint')
        if last and osp.isfile(save_file):
            atomic_write_bytes(str(last).encode(), save_file)
        for fn, p in queued:
            fn(p)

    _save_checkpoint_with_step._mmseg_dda_atomic = True
    return _save_checkpoint_with_step


_ORIGINAL = {}


def install_atomic_checkpointing() -> None:
    """Patch MMEngine's checkpoint writing and resume lookup (idempotent)."""
    import mmengine.runner as mmengine_runner
    from mmengine.hooks import CheckpointHook
    from mmengine.runner import checkpoint as ckpt_module
    from mmengine.runner import runner as runner_module

    if getattr(CheckpointHook._save_checkpoint_with_step,
               '_mmseg_dda_atomic', False):
        return
    _ORIGINAL['save_checkpoint'] = ckpt_module.save_checkpoint
    ckpt_module.save_checkpoint = atomic_save_checkpoint
    # runner.py and the package namespace imported the names directly.
    runner_module.save_checkpoint = atomic_save_checkpoint
    mmengine_runner.save_checkpoint = atomic_save_checkpoint
    mmengine_runner.find_latest_checkpoint = find_latest_checkpoint
    runner_module.find_latest_checkpoint = find_latest_checkpoint
    CheckpointHook._save_checkpoint_with_step = _deferring_save_with_step(
        CheckpointHook._save_checkpoint_with_step)
