"""glibc allocator settings that keep freed activation memory in the process.

With glibc's defaults a CPU training step hands much of its activation
memory back to the kernel when it is freed (blocks above the mmap threshold
are unmapped, the top of the heap is trimmed) and page-faults it in again,
zero-filled, in the next step. On the 2-core CPU of the project's benchmarks
this kernel work was about a fifth of a DeepLab-v2 step
(``bench/benchmark_train_step.py``, bench/README.md).
``env_cfg.malloc_cfg`` (set in ``configs/_base_/default_runtime.py``) keeps
that memory for reuse instead. Only where memory comes from changes, never a
computed value. The kept memory fragments: the peak RSS can grow a few
percent (4% for DeepLab-v2 at 760x1280 in bench/README.md);
``malloc_cfg=None`` keeps glibc's defaults.

Keys of ``malloc_cfg`` (bytes or counts, as ``mallopt(3)`` takes them):
``mmap_threshold``, ``mmap_max``, ``trim_threshold``, ``top_pad``; a key left
out keeps glibc's default. An empty dict or ``None`` changes nothing. On
platforms without glibc the settings are skipped (returns ``False``).
:func:`trim_free_memory` hands the free heap memory back at once (the
benchmarks call it to measure memory per step).
"""
import ctypes
import ctypes.util
import functools
from typing import Mapping, Optional

#: ``mallopt`` parameter numbers from glibc's ``<malloc.h>``.
MALLOPT_PARAMS = dict(
    trim_threshold=-1, top_pad=-2, mmap_threshold=-3, mmap_max=-4)

#: ``mallopt`` takes a C ``int``.
INT_MAX = 2**31 - 1

#: The project's default (``configs/_base_/default_runtime.py``): no mmap
#: for any size, the heap top trimmed only above 2 GiB of free memory.
DEFAULT_MALLOC_CFG = dict(mmap_max=0, trim_threshold=INT_MAX)


@functools.lru_cache(maxsize=None)
def _libc() -> Optional[ctypes.CDLL]:
    name = ctypes.util.find_library('c')
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, 'mallopt') else None


def apply_malloc_cfg(malloc_cfg: Optional[Mapping[str, int]]) -> bool:
    """Apply ``malloc_cfg`` to glibc's allocator of this process.

    Args:
        malloc_cfg: ``mallopt`` settings by name (see module doc).

    Returns:
        bool: ``True`` if every setting was applied, ``False`` if there was
        nothing to apply or the C library has no ``mallopt``.

    Raises:
        ValueError: For an unknown key, a negative value, or a value that
            glibc refuses (the message names the key and value).
    """
    if not malloc_cfg:
        return False
    unknown = sorted(set(malloc_cfg) - set(MALLOPT_PARAMS))
    if unknown:
        raise ValueError(f'env_cfg.malloc_cfg: unknown keys {unknown}; '
                         f'known: {sorted(MALLOPT_PARAMS)}')
    for key, value in malloc_cfg.items():
        if not isinstance(value, int) or not 0 <= value <= INT_MAX:
            raise ValueError(f'env_cfg.malloc_cfg.{key}={value!r}: expected '
                             f'an integer in [0, {INT_MAX}]')
    libc = _libc()
    if libc is None:
        return False
    for key, value in malloc_cfg.items():
        if libc.mallopt(MALLOPT_PARAMS[key], value) != 1:
            raise ValueError(f'env_cfg.malloc_cfg.{key}={value}: refused by '
                             'mallopt')
    return True


def trim_free_memory() -> bool:
    """Return the free heap memory of this process to the kernel now
    (glibc's ``malloc_trim(0)``).

    Returns:
        bool: ``False`` without glibc (nothing done).
    """
    libc = _libc()
    if libc is None or not hasattr(libc, 'malloc_trim'):
        return False
    libc.malloc_trim(0)
    return True
