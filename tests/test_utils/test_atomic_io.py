"""Files written atomically get the permissions a plain ``open()`` gives."""
import os
import stat

import pytest
import torch

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import save_checkpoint_atomic
from mmseg_dda.utils.atomic_io import (atomic_open, atomic_write_json,
                                       current_umask)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_current_umask_is_read_unchanged(umask):
    assert current_umask() == umask
    assert current_umask() == umask


def test_atomic_files_get_open_permissions(umask, tmp_path):
    with open(tmp_path / 'plain.bin', 'wb') as f:
        f.write(b'x')
    expected = 0o666 & ~umask
    assert _mode(tmp_path / 'plain.bin') == expected
    with atomic_open(str(tmp_path / 'a.bin')) as f:
        f.write(b'x')
    atomic_write_json(str(tmp_path / 'b.json'), {'a': 1})
    save_checkpoint_atomic({"w": torch.zeros(2)},
                           str(tmp_path / "iter_1.pth"))
    for name in ('a.bin', 'b.json', 'iter_1.pth'):
        assert _mode(tmp_path / name) == expected, name
    # No temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'a.bin', 'b.json', 'iter_1.pth', 'plain.bin']
