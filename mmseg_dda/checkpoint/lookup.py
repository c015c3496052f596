"""Which checkpoint ``--resume`` continues from, found crash-safely.

MMEngine's lookup trusts ``<work_dir>/last_checkpoint``; a run killed while
rewriting it leaves it empty or half-written, and a deleted checkpoint
leaves it naming nothing. :func:`find_latest_checkpoint` then falls back to
the newest complete ``iter_<N>.pth`` / ``epoch_<N>.pth`` of the folder
(complete: :mod:`.saving` writes every checkpoint under a temporary name).
"""
import glob
import os.path as osp
import re
from typing import Optional

from .saving import is_local_path

_CKPT_NAME = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def find_latest_checkpoint(path: str) -> Optional[str]:
    """The checkpoint to resume from in the work_dir ``path``.

    Returns:
        str | None: The file named by ``<path>/last_checkpoint`` when it
        exists, otherwise the ``iter_<N>.pth`` / ``epoch_<N>.pth`` in
        ``path`` with the largest N, otherwise None (a fresh start).
    """
    save_file = osp.join(path, 'last_checkpoint')
    if osp.isfile(save_file):
        with open(save_file, encoding='utf-8', errors='replace') as f:
            last = f.read().strip()
        if last and (not is_local_path(last) or osp.isfile(last)):
            return last
    found = []
    for file in glob.glob(osp.join(glob.escape(path), '*.pth')):
        match = _CKPT_NAME.match(osp.basename(file))
        if match:
            found.append((int(match.group(2)), file))
    return max(found)[1] if found else None
