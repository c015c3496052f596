"""Atomic file writes: a temp file in the destination folder, then a rename.

Every output of the project (density maps, pseudo-labels, checkpoints,
figures, JSON) goes through :func:`atomic_open`, so an interrupted job
leaves either the complete file or none under the final name; a partial
write exists only as a hidden ``.<name>.<random>.tmp`` that reruns ignore.
The final file gets the permissions a plain ``open()`` would give it
(``0o666`` less the umask), not the ``0o600`` of :func:`tempfile.mkstemp`,
so teammates can read checkpoints, maps and figures on a shared disk.

A failed write (a full disk, a quota, a read-only or vanished folder) raises
:class:`OutputWriteError`, an ``OSError`` whose one-line message names the
file; the tools stop at the first one instead of failing image after image.
"""
import contextlib
import os
import os.path as osp
import tempfile
from typing import IO, Iterator


class OutputWriteError(OSError):
    """An output file could not be written; ``str()`` names it."""

    def __init__(self, path: str, err: OSError):
        super().__init__(err.errno, err.strerror or str(err), path)
        self.path = path

    def __str__(self) -> str:
        return f'cannot write {self.path}: {self.strerror}'

    def __reduce__(self):  # crosses process pools (STEP 1 workers)
        return (self.__class__,
                (self.path, OSError(self.errno, self.strerror)))


def current_umask() -> int:
    """The process umask, read without changing it where possible.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by
    setting and restoring it (briefly process-wide).
    """
    try:
        with open('/proc/self/status', encoding='ascii') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str, mode: str = 'wb', fsync: bool = False,
                **kwargs) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the block succeeds.

    Args:
        path (str): Destination; its folder is created if needed.
        mode (str): ``'wb'`` or ``'w'`` (text; ``kwargs`` such as
            ``encoding`` go to :func:`os.fdopen`).
        fsync (bool): Flush the data to disk before the rename (checkpoints).

    Yields:
        The open temporary file. On an exception it is removed and
        ``path`` is left untouched.

    Raises:
        OutputWriteError: If the file system refuses the write (``ENOSPC``
            and the like), naming ``path``.
    """
    folder = osp.dirname(osp.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    except OSError as err:
        raise OutputWriteError(path, err) from err
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(err, OSError) and not isinstance(
                err, OutputWriteError) and err.errno is not None:
            raise OutputWriteError(path, err) from err
        raise


def atomic_write_json(path: str, obj, indent: int = 1) -> None:
    """Write ``obj`` as JSON (with a final newline) through :func:`atomic_open`."""
    import json
    with atomic_open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=indent)
        f.write('\n')
