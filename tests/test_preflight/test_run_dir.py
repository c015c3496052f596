"""The run's folder: too little disk, a locked work_dir, resume state."""
import fcntl
import json
import os
import shutil
from collections import namedtuple

import mmseg_dda  # noqa: F401
from mmseg_dda.preflight import run_preflight
from mmseg_dda.preflight.report import OK, WARN

from _preflight_rows import only_failure, rows


def test_too_little_disk(tiny_cfg, monkeypatch):
    usage = namedtuple('usage', 'total used free')
    monkeypatch.setattr(shutil, 'disk_usage',
                        lambda path: usage(2**30, 2**30 - 2**20, 2**20))
    row = only_failure(run_preflight(tiny_cfg))
    assert (row.group, row.name) == ('run', 'free disk')
    assert row.detail.startswith('0.0 GiB free, needs 0.2 GiB: 1 '
                                 'checkpoints x 0.00 GiB (estimate')
    assert 'max_keep_ckpts' in row.fix


def test_locked_work_dir(tiny_cfg):
    os.makedirs(tiny_cfg.work_dir)
    lock = os.path.join(tiny_cfg.work_dir, 'train.lock')
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps(dict(pid=4242, host='gpu7', started='today',
                                     command='train.py x')).encode())
        row = only_failure(run_preflight(tiny_cfg))
    finally:
        os.close(fd)
    assert (row.group, row.name) == ('run', 'work_dir lock')
    assert row.detail == (f'work_dir {tiny_cfg.work_dir} is in use by another '
                          'training run (pid 4242 on host gpu7, started '
                          'today: train.py x)')
    # Released: free again, and the probe left no lock behind.
    assert run_preflight(tiny_cfg).ok


def test_resume_state(tiny_cfg, tmp_path):
    import torch
    from _tiny_models import build_tiny
    os.makedirs(tiny_cfg.work_dir)
    model = build_tiny(tiny_cfg.model)
    ckpt = os.path.join(tiny_cfg.work_dir, 'iter_2.pth')
    torch.save(dict(meta=dict(iter=2), state_dict=model.state_dict()), ckpt)
    # Without --resume: a warning that the run starts afresh.
    row = rows(run_preflight(tiny_cfg), 'run', WARN)[0]
    assert row.detail.startswith(f'{tiny_cfg.work_dir} holds iter_2.pth')
    # --resume from a checkpoint without optimiser state: blocking.
    row = only_failure(run_preflight(tiny_cfg, resume=True))
    assert row.detail == (f'{ckpt} has no optimiser state: it cannot be '
                          'resumed')
    torch.save(dict(meta=dict(iter=2), state_dict=model.state_dict(),
                    optimizer={}), ckpt)
    row = rows(run_preflight(tiny_cfg, resume=True), 'run')[-1]
    assert row.status == OK and row.detail.startswith(
        f'--resume continues from {ckpt} (iteration 2 of 3)')


def test_resume_from_another_config(tiny_cfg):
    """The settings DDARunner refuses on --resume are a blocking row; the
    ones it applies are named."""
    import copy

    import torch
    from _tiny_models import build_tiny
    os.makedirs(tiny_cfg.work_dir)
    model = build_tiny(tiny_cfg.model)
    ckpt = os.path.join(tiny_cfg.work_dir, 'iter_2.pth')
    old = copy.deepcopy(tiny_cfg)
    old.randomness = dict(seed=123)
    old.train_cfg.val_interval = 1
    torch.save(dict(meta=dict(iter=2, cfg=old.pretty_text),
                    state_dict=model.state_dict(), optimizer={}), ckpt)
    row = only_failure(run_preflight(tiny_cfg, resume=True))
    assert row.detail.startswith(f'{ckpt} was made with another config')
    assert 'randomness.seed' in row.detail
    old = copy.deepcopy(tiny_cfg)
    old.train_cfg.val_interval = 1
    torch.save(dict(meta=dict(iter=2, cfg=old.pretty_text),
                    state_dict=model.state_dict(), optimizer={}), ckpt)
    row = rows(run_preflight(tiny_cfg, resume=True), 'run')[-1]
    assert row.status == OK
    assert 'changed settings apply from here on: train_cfg.val_interval' \
        in row.detail
