"""``AtomicCheckpointHook``: MMEngine's ``CheckpointHook``, crash-safe.

MMEngine 0.10.7's ``CheckpointHook`` has three windows in which a killed
training run leaves a work_dir that ``--resume`` cannot use: the checkpoint
is written in place (a kill leaves a truncated ``iter_N.pth`` under its
final name); the oldest kept checkpoint (``max_keep_ckpts``) and the
previous best one are removed *before* the new one is written; and
``last_checkpoint`` is rewritten in place. This hook closes them:

* every checkpoint (periodic and best) is written under a hidden temporary
  name and renamed into place (:mod:`mmseg_dda.checkpoint.saving`);
* removals requested while saving run only after the new checkpoint is in
  place (if the write fails, nothing is removed);
* ``last_checkpoint`` is then replaced atomically, and the resume lookup
  (:func:`~mmseg_dda.checkpoint.find_latest_checkpoint`) skips a broken one.

Remote backends (``s3://`` ...) keep MMEngine's behaviour. Selected in
``configs/_base_/schedules/dda_90k.py`` (``default_hooks.checkpoint``).
"""
import contextlib
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from ...checkpoint.saving import (atomic_write_text, commit_temporary,
                                  discard_temporary, is_local_path,
                                  temporary_name)


class _DeferredRemovals:
    """A file backend whose removals wait until :meth:`deferring` ends."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self._queue = None

    @contextlib.contextmanager
    def deferring(self):
        if self._queue is not None:  # nested (best and periodic save)
            yield
            return
        self._queue = []
        try:
            yield
        except BaseException:
            self._queue = None  # the new file is not there: keep the old
            raise
        queue, self._queue = self._queue, None
        for name, path in queue:
            getattr(self._backend, name)(path)

    def remove(self, path) -> None:
        self._request('remove', path)

    def rmtree(self, path) -> None:
        self._request('rmtree', path)

    def _request(self, name: str, path) -> None:
        if self._queue is None:
            getattr(self._backend, name)(path)
        else:
            self._queue.append((name, path))

    def __getattr__(self, name):
        return getattr(self._backend, name)


class _AtomicSaving:
    """The runner, with ``save_checkpoint`` writing through a temp file."""

    def __init__(self, runner) -> None:
        self._runner = runner

    def save_checkpoint(self, out_dir, filename, file_client_args=None,
                        *args, backend_args=None, **kwargs):
        runner = self._runner
        if (not is_local_path(out_dir) or file_client_args is not None
                or backend_args is not None):
            return runner.save_checkpoint(out_dir, filename, file_client_args,
                                          *args, backend_args=backend_args,
                                          **kwargs)
        tmp = temporary_name(filename)
        tmp_path = osp.join(out_dir, tmp)
        try:
            runner.save_checkpoint(out_dir, tmp, None, *args, **kwargs)
            if is_main_process():  # the Runner saves on the main process
                commit_temporary(tmp_path, osp.join(out_dir, filename))
        except BaseException:
            discard_temporary(tmp_path)
            raise

    def __getattr__(self, name):
        return getattr(self._runner, name)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`~mmengine.hooks.CheckpointHook` that never leaves a partial
    checkpoint, nor removes the last good one before its successor is
    written (see the module docstring). Same arguments."""

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not isinstance(self.file_backend, _DeferredRemovals):
            self.file_backend = _DeferredRemovals(self.file_backend)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        with self.file_backend.deferring():
            super()._save_checkpoint_with_step(
                _AtomicSaving(runner), step, meta)
            save_file = osp.join(runner.work_dir, 'last_checkpoint')
            if is_main_process() and self.last_ckpt and osp.isfile(save_file):
                atomic_write_text(save_file, str(self.last_ckpt))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self.file_backend.deferring():
            super()._save_best_checkpoint(_AtomicSaving(runner), metrics)
