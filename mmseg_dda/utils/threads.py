"""The torch thread count of every tool: ``--threads``, else a default that
does not oversubscribe the machine.

Left to itself, OpenMP starts one busy-waiting thread per core in every
process; next to one other job on a 2-core machine, ``tools/infer.py`` then
ran an order of magnitude slower than with one thread (docs/trust.md gives
the measurement). Every tool that computes (``tools/infer.py``,
``tools/test.py``, ``tools/train.py``, ``tools/recalibrate_bn.py``, STEP 1-3,
``tools/fit_gmm.py``) calls :func:`add_threads_arg` and
:func:`apply_threads`:

* ``--threads N``: N threads;
* else ``OMP_NUM_THREADS`` when set (as the demo sets it for its steps);
* else :func:`default_threads`: half the cores this process may use, at
  least 1 and at most 4 (1 on a 2-core machine, 4 on 8 cores and more): the
  other half stays free for data-loading workers and other jobs, and
  batch-1 inference gains little beyond 4 threads.
"""
import argparse
import os
from typing import Optional

from .cli_types import positive_int

#: The most threads the default gives.
MAX_DEFAULT_THREADS = 4


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when set to a count, else half the usable cores
    (1 to :data:`MAX_DEFAULT_THREADS`)."""
    env = os.environ.get('OMP_NUM_THREADS', '').strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, min(MAX_DEFAULT_THREADS, usable_cores() // 2))


def add_threads_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--threads`` (see the module docstring)."""
    parser.add_argument(
        '--threads', type=positive_int, default=None,
        help='torch CPU threads of this process (default: OMP_NUM_THREADS '
        'if set, else half the usable cores, 1 to '
        f'{MAX_DEFAULT_THREADS}; now {default_threads()})')


def apply_threads(threads: Optional[int] = None) -> int:
    """Set torch's intra-op thread count; return it.

    Args:
        threads (int, optional): ``--threads``; None: :func:`default_threads`.

    Worker processes (data loaders, STEP 1's pool) run one thread each.
    """
    import torch
    n = default_threads() if threads is None else int(threads)
    if n < 1:
        raise ValueError(f'thread count must be >= 1, got {n}')
    torch.set_num_threads(n)
    return n
