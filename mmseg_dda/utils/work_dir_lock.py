"""One writer per folder: an ``fcntl.flock`` lock file.

A second ``tools/train.py`` into the work_dir of a running one would delete
and overwrite its checkpoints (``max_keep_ckpts``, ``last_checkpoint``); two
STEP 1 runs into one density-map folder would mix maps of two settings under
one manifest. :func:`acquire_folder_lock` takes an exclusive ``flock`` on a
lock file in the folder and writes the owner (pid, host, start time,
command) into it; a second writer reads that and refuses. The kernel drops
the lock when the process ends, however it ends, so a killed run leaves no
lock that blocks: the file may stay, but only a held lock refuses.

Users: :func:`acquire_work_dir_lock` (``tools/train.py``, ``<work_dir>/
train.lock``) and every tool that writes an output folder, through
:func:`mmseg_dda.utils.output_policy.claim_output_folder`
(``<folder>/.writer.lock``).
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
#: Lock file of an output folder (hidden: not an output, never deleted).
FOLDER_LOCK_NAME = '.writer.lock'

_held: Dict[str, int] = {}  # lock path -> open file descriptor


class FolderLockedError(RuntimeError):
    """Another process writes into the same folder."""


class WorkDirLockedError(FolderLockedError):
    """Another process trains into the same work_dir."""


def _describe(path: str) -> str:
    try:
        with open(path, encoding='utf-8') as f:
            owner = json.load(f)
        return (f"pid {owner['pid']} on host {owner['host']}, started "
                f"{owner['started']}: {owner['command']}")
    except (OSError, ValueError, KeyError):
        return 'owner unknown (the lock file is being written)'


def acquire_folder_lock(folder: str, lock_name: str = FOLDER_LOCK_NAME,
                        refusal: str = '',
                        error: type = FolderLockedError,
                        other: str = 'another output folder',
                        what: str = 'output folder') -> str:
    """Lock ``folder`` for this process until it exits (or is released).

    Args:
        folder (str): The folder (created if needed).
        lock_name (str): Lock file inside it.
        refusal (str): Message start when the lock is held; the owner and
            a hint follow. Default: ``'<folder> is being written by another
            process'``.
        error (type): Exception class raised when the lock is held.
        other (str): What the message suggests choosing instead.
        what (str): What the folder is, for the warning on a file system
            without locks.

    Returns:
        str: Path of the lock file.

    Raises:
        FolderLockedError: If another process holds the lock; the message
            names it (pid, host, start time, command).
    """
    os.makedirs(folder, exist_ok=True)
    path = osp.abspath(osp.join(folder, lock_name))
    if path in _held:
        return path
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        refusal = refusal or f'{folder} is being written by another process'
        raise error(
            f'{refusal} ({_describe(path)}). Wait for it to finish, or '
            f'choose {other}.') from None
    except OSError as err:  # e.g. ENOLCK: a file system without locks
        os.close(fd)
        warnings.warn(f'cannot lock {what} {folder} ({err.strerror}): a '
                      'second writer into it would not be detected')
        return path
    owner = dict(
        pid=os.getpid(), host=socket.gethostname(),
        started=time.strftime('%Y-%m-%d %H:%M:%S %Z'),
        command=' '.join([osp.basename(sys.executable)] + sys.argv))
    os.ftruncate(fd, 0)
    os.write(fd, (json.dumps(owner) + '\n').encode())
    _held[path] = fd
    return path


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
    return acquire_folder_lock(
        work_dir, LOCK_NAME, f'work_dir {work_dir} is in use by another '
        'training run', WorkDirLockedError, 'another --work-dir', 'work_dir')


def launcher_rank() -> int:
    """Global rank from the launcher's environment (0 when not distributed).

    Read before the process group exists: only rank 0 takes the lock.
    """
    for name in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if os.environ.get(name, '').isdigit():
            return int(os.environ[name])
    return 0


def release_folder_lock(path: Optional[str] = None) -> None:
    """Release the lock at ``path`` (all locks of this process if None)."""
    for key in [path] if path is not None else list(_held):
        fd = _held.pop(key, None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


#: The training tool's name for it.
release_work_dir_lock = release_folder_lock

atexit.register(release_folder_lock)
