"""One training run per work_dir (``tools/train.py`` takes a flock)."""
import signal
import socket
import subprocess

import pytest

import mmseg_dda  # noqa: F401
from mmseg_dda.utils.work_dir_lock import (LOCK_NAME, WorkDirLockedError,
                                           acquire_work_dir_lock,
                                           release_work_dir_lock)

from _helpers import (REPO, hold_lock, load_tool, lock_holder_cmd,
                      record_runner, run_tool_inprocess, tool_env)

DDA_CFG = str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py')


def _hold(work_dir) -> subprocess.Popen:
    """Another process that holds the lock of ``work_dir``."""
    return hold_lock(work_dir, 'acquire_work_dir_lock')


def test_second_train_run_is_refused(tmp_path, monkeypatch):
    work = tmp_path / 'work'
    holder = _hold(work)
    try:
        proc = run_tool_inprocess('train.py', [DDA_CFG, '--work-dir', work],
                                  check=False)
    finally:
        holder.send_signal(signal.SIGKILL)  # a killed run leaves no lock
        holder.wait()
    assert proc.returncode != 0
    assert 'WorkDirLockedError' in proc.stdout
    assert f'work_dir {work} is in use by another training run (pid ' \
        f'{holder.pid} on host {socket.gethostname()}, started ' \
        in proc.stdout
    assert (work / LOCK_NAME).exists()  # left behind, but not held

    # The holder is gone: train.py gets past the lock (Runner recorded).
    train = load_tool('train')
    built = record_runner(monkeypatch, train)
    try:
        train.main([DDA_CFG, '--work-dir', str(work)])
    finally:
        release_work_dir_lock()
    assert len(built) == 1


def test_lock_is_reentrant_and_released(tmp_path):
    path = acquire_work_dir_lock(str(tmp_path))
    assert acquire_work_dir_lock(str(tmp_path)) == path  # same process
    try:
        proc = subprocess.run(
            lock_holder_cmd(tmp_path, 'acquire_work_dir_lock'), cwd=REPO,
            env=tool_env(), input='', stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, timeout=120)
        assert proc.returncode != 0
        assert 'is in use by another training run' in proc.stderr
    finally:
        release_work_dir_lock(path)
    holder = _hold(tmp_path)  # free again after the release
    try:
        with pytest.raises(WorkDirLockedError,
                           match=f'pid {holder.pid} on host '):
            acquire_work_dir_lock(str(tmp_path))
    finally:
        holder.stdin.close()  # the holder exits normally
        assert holder.wait() == 0
    acquire_work_dir_lock(str(tmp_path))
    release_work_dir_lock()


def test_file_system_without_locks_warns(tmp_path, monkeypatch):
    import errno
    import fcntl

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, 'No locks available')

    monkeypatch.setattr(fcntl, 'flock', no_locks)
    with pytest.warns(UserWarning, match='cannot lock work_dir .*No locks'):
        acquire_work_dir_lock(str(tmp_path))
