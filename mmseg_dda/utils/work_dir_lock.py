"""One training run per work_dir: an ``fcntl.flock`` lock file.

A second ``tools/train.py`` into the work_dir of a running one would delete
and overwrite its checkpoints (``max_keep_ckpts``, ``last_checkpoint``).
:func:`acquire_work_dir_lock` takes an exclusive ``flock`` on
``<work_dir>/train.lock`` and writes the owner (pid, host, start time,
command) into it; a second run reads that and refuses. The kernel drops the
lock when the process ends, however it ends, so a killed run leaves no lock
that blocks: the file may stay, but only a held lock refuses.
"""
import atexit
import fcntl
import json
import os
import os.path as osp
import socket
import sys
import time
import warnings
from typing import Dict, Optional

LOCK_NAME = 'train.lock'

_held: Dict[str, int] = {}  # lock path -> open file descriptor


class WorkDirLockedError(RuntimeError):
    """Another process trains into the same work_dir."""


def _describe(path: str) -> str:
    try:
        with open(path, encoding='utf-8') as f:
            owner = json.load(f)
        return (f"pid {owner['pid']} on host {owner['host']}, started "
                f"{owner['started']}: {owner['command']}")
    except (OSError, ValueError, KeyError):
        return 'owner unknown (the lock file is being written)'


def acquire_work_dir_lock(work_dir: str) -> str:
    """Lock ``work_dir`` for this process until it exits.

    Args:
        work_dir (str): The run's work directory (created if needed).

    Returns:
        str: Path of the lock file.

    Raises:
        WorkDirLockedError: If another process holds the lock; the message
            names it (pid, host, start time, command).
    """
    os.makedirs(work_dir, exist_ok=True)
    path = osp.abspath(osp.join(work_dir, LOCK_NAME))
    if path in _held:
        return path
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WorkDirLockedError(
            f'work_dir {work_dir} is in use by another training run '
            f'({_describe(path)}). Wait for it to finish, or choose another '
            '--work-dir.') from None
    except OSError as err:  # e.g. ENOLCK: a file system without locks
        os.close(fd)
        warnings.warn(f'cannot lock work_dir {work_dir} ({err.strerror}): '
                      'a second run into it would not be detected')
        return path
    owner = dict(
        pid=os.getpid(), host=socket.gethostname(),
        started=time.strftime('%Y-%m-%d %H:%M:%S %Z'),
        command=' '.join([osp.basename(sys.executable)] + sys.argv))
    os.ftruncate(fd, 0)
    os.write(fd, (json.dumps(owner) + '\n').encode())
    _held[path] = fd
    return path


def launcher_rank() -> int:
    """Global rank from the launcher's environment (0 when not distributed).

    Read before the process group exists: only rank 0 takes the lock.
    """
    for name in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if os.environ.get(name, '').isdigit():
            return int(os.environ[name])
    return 0


def release_work_dir_lock(path: Optional[str] = None) -> None:
    """Release the lock at ``path`` (all locks of this process if None)."""
    for key in [path] if path is not None else list(_held):
        fd = _held.pop(key, None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


atexit.register(release_work_dir_lock)
