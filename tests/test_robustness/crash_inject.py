"""Run a tool with one file write stalled half-way (for SIGKILL tests).

Usage::

    python crash_inject.py PATTERN NTH MARKER TOOL [TOOL ARGS...]

Every file opened for writing through Python (``open`` or ``os.fdopen``)
whose path (for ``os.fdopen``: the path behind the descriptor, e.g. a
``mkstemp`` temp name) matches the regular expression PATTERN is counted;
the NTH such file (1-based) gets half of its first ``write`` (at least one
byte), is flushed to disk, MARKER is created and the process sleeps until it
is killed. This makes "killed while writing" deterministic, whatever the
tool's writing strategy (in place or temp file + rename). TOOL runs as
``__main__`` with ``sys.argv = [TOOL, *ARGS]``.
"""
import builtins
import os
import re
import runpy
import sys
import time

_pattern = re.compile(sys.argv[1])
_nth = int(sys.argv[2])
_marker = sys.argv[3]
_count = 0
_real_open = builtins.open
_real_fdopen = os.fdopen


class _StallingFile:
    """Proxy whose first write stores half the bytes and then hangs."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        half = max(1, len(data) // 2)
        self._f.write(data[:half])
        self._f.flush()
        os.fsync(self._f.fileno())
        with _real_open(_marker, 'w') as m:
            m.write(str(os.getpid()))
        while True:
            time.sleep(1)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def _maybe_stall(f, path, mode):
    global _count
    if not any(c in str(mode) for c in 'wax+') or \
            not _pattern.search(os.path.basename(str(path))):
        return f
    _count += 1
    return _StallingFile(f) if _count == _nth else f


def _open(file, mode='r', *args, **kwargs):
    f = _real_open(file, mode, *args, **kwargs)
    if isinstance(file, int):
        return f
    return _maybe_stall(f, file, mode)


def _fdopen(fd, mode='r', *args, **kwargs):
    f = _real_fdopen(fd, mode, *args, **kwargs)
    try:
        path = os.readlink(f'/proc/self/fd/{fd}')
    except OSError:
        return f
    return _maybe_stall(f, path, mode)


builtins.open = _open
os.fdopen = _fdopen
tool = sys.argv[4]
sys.argv = [tool] + sys.argv[5:]
runpy.run_path(tool, run_name='__main__')
