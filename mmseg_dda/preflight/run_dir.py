"""The run's folder: writable, not in use, room for its checkpoints, resume.

* work_dir writable (:func:`~mmseg_dda.utils.runtime.check_writable_dir`);
* its ``train.lock`` not held by another run
  (:mod:`~mmseg_dda.utils.work_dir_lock`; probed with a non-blocking
  ``flock`` that is released at once);
* free disk >= the checkpoints the run keeps at once (one checkpoint x
  (``max_keep_ckpts`` + the one being written + ``best``)) plus the logs;
  one checkpoint's size is that of a checkpoint already in the work_dir, else
  an estimate from the model's parameter count and optimisers;
* ``--resume``: the checkpoint it would continue from loads, fits the model
  and holds an optimiser state; without ``--resume``, checkpoints already in
  the work_dir are reported (a fresh run replaces them).
"""
import fcntl
import glob
import math
import os
import os.path as osp
import shutil
from typing import List, Optional

from ..apis.model_grid import build_on_meta, segmentor_config
from ..checkpoint.fitting import fit_state_dict
from ..checkpoint.loading import checkpoint_state_dict, read_checkpoint
from ..checkpoint.lookup import find_latest_checkpoint
from ..engine.runner.resume_check import config_changes, format_changes
from ..utils import work_dir_lock
from ..utils.runtime import check_writable_dir
from .report import FAIL, OK, WARN, Check, fail_from
from .weights import strip_init

#: Room for logs, TensorBoard events and visualisations of one run.
LOG_BYTES = 200 * 2**20
GiB = 2**30
#: Optimiser state per parameter, in parameter sizes.
_STATE_FACTOR = dict(SGD=1, Adam=2, AdamW=2)


def _existing_parent(path: str) -> str:
    path = osp.abspath(path)
    while not osp.isdir(path) and osp.dirname(path) != path:
        path = osp.dirname(path)
    return path


def check_work_dir(work_dir: str) -> List[Check]:
    """Writable, and the lock free."""
    try:
        # A work_dir still to be made is probed in its nearest parent.
        check_writable_dir(work_dir if osp.isdir(work_dir) else
                           _existing_parent(work_dir))
    except PermissionError as err:
        return [fail_from('run', 'work_dir writable', err)]
    rows = [Check('run', 'work_dir writable', OK, work_dir)]
    lock = osp.abspath(osp.join(work_dir, work_dir_lock.LOCK_NAME))
    if lock in work_dir_lock._held:
        return rows + [Check('run', 'work_dir lock', OK,
                             'held by this process')]
    if osp.isfile(lock):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            return rows + [Check(
                'run', 'work_dir lock', FAIL,
                f'work_dir {work_dir} is in use by another training run '
                f'({work_dir_lock._describe(lock)})',
                'wait for it to finish, or choose another --work-dir')]
        except OSError:
            pass  # a file system without locks: train.py warns
        finally:
            os.close(fd)
    return rows + [Check('run', 'work_dir lock', OK, f'{lock} free')]


def _optimizers(cfg) -> List[str]:
    ow = cfg.get('optim_wrapper') or {}
    if 'optimizer' in ow:
        return [ow['optimizer'].get('type', 'SGD')]
    return [v['optimizer'].get('type', 'SGD') for v in ow.values()
            if isinstance(v, dict) and 'optimizer' in v]


def checkpoint_bytes(cfg, work_dir: str) -> (int, str):
    """Size of one checkpoint: of one in ``work_dir``, else estimated."""
    found = sorted(glob.glob(osp.join(glob.escape(work_dir), 'iter_*.pth')))
    if found:
        return osp.getsize(found[-1]), f'size of {osp.basename(found[-1])}'
    # Segmentor and discriminator, built without the GMM file (which may
    # not exist yet; the density row reports it).
    parts = [segmentor_config(cfg.model)]
    if cfg.model.get('type') == 'DDA' and cfg.model.get('discriminator'):
        parts.append(strip_init(cfg.model['discriminator']))
    weights = sum(t.numel() * t.element_size() for part in parts
                  for t in build_on_meta(part).state_dict().values())
    factor = max([_STATE_FACTOR.get(o, 2) for o in _optimizers(cfg)] + [0])
    return (weights * (1 + factor),
            f'estimate: weights x {1 + factor} (optimiser state)')


def check_disk(cfg, work_dir: str) -> List[Check]:
    """Free space against the checkpoints kept at once plus logs."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    max_iters = (cfg.get('train_cfg') or {}).get('max_iters') or 0
    interval = hook.get('interval', 1) or 1
    keep = hook.get('max_keep_ckpts', -1)
    total = max(1, math.ceil(max_iters / interval)) if max_iters else 1
    kept = total if keep is None or keep <= 0 else min(keep, total)
    # The new checkpoint is written before the oldest is deleted.
    n = kept + (1 if kept < total else 0) + (1 if hook.get('save_best')
                                               else 0)
    one, how = checkpoint_bytes(cfg, work_dir)
    need = n * one + LOG_BYTES
    free = shutil.disk_usage(_existing_parent(work_dir)).free
    detail = (f'{free / GiB:.1f} GiB free, needs {need / GiB:.1f} GiB: {n} '
              f'checkpoints x {one / GiB:.2f} GiB ({how}; max_keep_ckpts='
              f'{keep}, save_best={hook.get("save_best")}) + '
              f'{LOG_BYTES / GiB:.1f} GiB logs')
    if free < need:
        return [Check('run', 'free disk', FAIL, detail,
                      'free space on that disk, choose another --work-dir, '
                      'or lower default_hooks.checkpoint.max_keep_ckpts')]
    return [Check('run', 'free disk', OK, detail)]


def check_resume(cfg, work_dir: str, resume: bool) -> List[Check]:
    """The state a ``--resume`` would continue from."""
    latest = find_latest_checkpoint(work_dir) if osp.isdir(work_dir) \
        else None
    max_iters = (cfg.get('train_cfg') or {}).get('max_iters')
    if not resume:
        if latest:
            return [Check('run', 'resume state', WARN,
                          f'{work_dir} holds {osp.basename(latest)} from an '
                          'earlier run; without --resume this run starts '
                          'afresh and replaces it',
                          'add --resume to continue that run')]
        return []
    if latest is None:
        return [Check('run', 'resume state', OK,
                      f'--resume: no checkpoint in {work_dir} yet, a fresh '
                      'run starts')]
    try:
        ckpt = read_checkpoint(latest, 'cpu')
        state = checkpoint_state_dict(ckpt, latest)
        model = build_on_meta(strip_init(cfg.model))
        fit_state_dict(model, state, latest,
                       allow_missing_discriminator=False)
    except (OSError, RuntimeError, ValueError, KeyError) as err:
        return [fail_from('run', 'resume state', err,
                          'resume from a checkpoint of this config, or '
                          'start afresh without --resume')]
    it = (ckpt.get('meta') or {}).get('iter')
    if 'optimizer' not in ckpt:
        return [Check('run', 'resume state', FAIL,
                      f'{latest} has no optimiser state: it cannot be '
                      'resumed', 'start afresh (without --resume), with '
                      f'load_from={latest} to start from its weights')]
    old_text = (ckpt.get('meta') or {}).get('cfg')
    if isinstance(old_text, str):
        # What DDARunner refuses or applies on --resume (docs/trust.md).
        refused, applied = config_changes(old_text, cfg.pretty_text)
        if refused:
            return [Check('run', 'resume state', FAIL,
                          f'{latest} was made with another config: '
                          f'{len(refused)} settings that cannot change in '
                          'the middle of a run differ:\n' +
                          format_changes(refused, limit=10),
                          'start a new run (e.g. with load_from='
                          f'{latest}), or resume with the config it was '
                          'made with')]
        if applied:
            changed = ', '.join(key for key, _, _ in applied[:5])
            more = '' if len(applied) <= 5 else f' and {len(applied) - 5} more'
            detail = f'; changed settings apply from here on: {changed}{more}'
        else:
            detail = ''
    else:
        detail = ''
    if it is not None and max_iters and it >= max_iters:
        return [Check('run', 'resume state', WARN,
                      f'{latest} is at iteration {it} of max_iters='
                      f'{max_iters}: the run is already finished',
                      'raise train_cfg.max_iters, or choose another '
                      '--work-dir')]
    return [Check('run', 'resume state', OK,
                  f'--resume continues from {latest} (iteration {it} of '
                  f'{max_iters}); weights fit the model{detail}')]


def run_checks(cfg, work_dir: Optional[str], resume: bool) -> List[Check]:
    """All rows of the run group."""
    work_dir = work_dir or cfg.get('work_dir') or 'work_dirs/preflight'
    rows = check_work_dir(work_dir)
    if rows[0].status == FAIL:
        return rows
    rows += check_disk(cfg, work_dir)
    rows += check_resume(cfg, work_dir, resume)
    return rows
