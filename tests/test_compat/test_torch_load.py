"""Tests of :mod:`mmseg_dda.compat.torch_load`; what the package installs."""
import os
import pytest
import torch

import mmseg_dda  # noqa: F401  (installs the shims)
from mmseg_dda import compat


class _Harmless:
    """A plain object: still needs unpickling of a non-allow-listed class."""

    value = 'x'


class _RunsCode:
    """An object whose unpickling would run a command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_plain_state_dict_loads_through_mmengine(tmp_path):
    from mmengine.runner.checkpoint import CheckpointLoader
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': {'w': torch.arange(3.)}}, path)
    out = CheckpointLoader.load_checkpoint(str(path))
    assert torch.equal(out['state_dict']['w'], torch.arange(3.))


def test_pickled_code_is_refused(tmp_path):
    from mmengine.runner.checkpoint import CheckpointLoader
    marker = tmp_path / 'executed'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _RunsCode(marker)}, path)
    with pytest.raises(RuntimeError, match=r'Refusing to load .*evil\.pth'):
        CheckpointLoader.load_checkpoint(str(path))
    assert not marker.exists()


def test_no_trusted_unpickling_left(tmp_path):
    """Not even resume may unpickle objects outside the allow-list."""
    from mmengine.runner.checkpoint import CheckpointLoader
    path = tmp_path / 'own.pth'
    torch.save({'obj': _Harmless()}, path)
    with pytest.raises(RuntimeError, match='Refusing'):
        CheckpointLoader.load_checkpoint(str(path))
    assert not hasattr(compat, 'trusted_checkpoint_loading')


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        compat.safe_torch_load(tmp_path / 'nothere.pth')


def test_runner_loading_is_checked():
    from mmengine.runner import Runner
    assert getattr(Runner.load_checkpoint, '_mmseg_dda_checked', False)


def test_package_installs_every_shim():
    """``import mmseg_dda`` installs all of mmseg_dda.compat, idempotently."""
    from mmengine.hooks import CheckpointHook
    from mmengine.runner import checkpoint as ckpt_module

    from mmseg_dda.compat.atomic_checkpoint import (
        atomic_save_checkpoint, install_atomic_checkpointing)
    assert ckpt_module.save_checkpoint is atomic_save_checkpoint
    saver = CheckpointHook._save_checkpoint_with_step
    install_atomic_checkpointing()
    compat.install_checked_loading()
    assert CheckpointHook._save_checkpoint_with_step is saver
