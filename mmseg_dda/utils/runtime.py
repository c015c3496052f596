"""Shared set-up of the entry scripts: config loading, train/test flags.

:func:`read_config` is the one config loader of every tool (and of the
step functions in :mod:`mmseg_dda.apis`); :func:`load_config` adds what
``tools/train.py`` and ``tools/test.py`` need on top (work_dir, launcher,
checkpoint hook, CPU backend).
"""
import argparse
import importlib.util
import os
import os.path as osp
import tempfile
from typing import Optional

import torch
from mmengine.config import Config, DictAction

from ..compat.cpu_distributed import cpu_model_wrapper
from .config_check import check_config_keys


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add the flags that MMSeg's train and test tools share."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. '
        'train_cfg.max_iters=10 or key="[a,b]" (no white space)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed launchers pass --local-rank (torch >= 2.0) or
    # --local_rank; torchrun sets LOCAL_RANK instead.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def read_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file, merge ``--cfg-options``, refuse key typos.

    Args:
        config (str): Config file.
        cfg_options (dict, optional): Overrides (``--cfg-options``).

    Returns:
        Config: The merged config (``cfg.filename`` is ``config``).

    Raises:
        FileNotFoundError: If ``config`` does not exist.
        UnknownConfigKeyError: If a section of this project has a key it
            does not know (see :mod:`mmseg_dda.utils.config_check`).
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file {config} does not exist')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    check_config_keys(cfg.to_dict())  # typos in the project's sections
    return cfg


def load_config(args: argparse.Namespace) -> Config:
    """:func:`read_config`, then ``--work-dir``, launcher and CPU backend.

    The distributed backend falls back to ``gloo`` when no GPU is present, so
    the same config runs under ``torchrun`` on CPU and on GPU clusters.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = read_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    ensure_plain_checkpoints(cfg)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if not torch.cuda.is_available():
        env_cfg = cfg.setdefault('env_cfg', {})
        dist_cfg = env_cfg.setdefault('dist_cfg', {})
        dist_cfg['backend'] = 'gloo'
        if args.launcher != 'none':
            cpu_model_wrapper(cfg)
    check_writable_dir(cfg.work_dir)
    return cfg


def ensure_plain_checkpoints(cfg: Config) -> None:
    """Keep :class:`PlainCheckpointHook` in ``custom_hooks``.

    Resume loads with ``weights_only=True``; without the hook, MMEngine
    pickles its message-hub history as objects, and a config that replaced
    ``custom_hooks`` would write checkpoints that ``--resume`` refuses.
    """
    from mmengine.logging import print_log
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(isinstance(h, dict) and h.get('type') in (
            'PlainCheckpointHook', 'mmseg.PlainCheckpointHook')
            for h in hooks):
        hooks.append(dict(type='PlainCheckpointHook'))
        cfg.custom_hooks = hooks
        print_log('custom_hooks: PlainCheckpointHook added (checkpoints '
                  'must load with weights_only=True to be resumed)',
                  logger='current')


def check_writable_dir(path: str) -> None:
    """Fail early, naming the folder, when ``path`` cannot be written.

    Raises:
        PermissionError: If the folder (or the nearest existing parent) is
            not writable.
    """
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix='.write_test_'):
            pass
    except OSError as err:
        raise PermissionError(
            f'work directory {path!r} is not writable ({err.strerror}); '
            'choose another one with --work-dir') from err


def resolve_resume(cfg: Config, resume: bool) -> None:
    """Set ``cfg.resume`` / ``cfg.load_from`` for ``tools/train.py``.

    In MMEngine, ``resume=True`` with a ``load_from`` resumes *from*
    ``load_from``. The self-training configs set ``load_from`` to the stage-1
    checkpoint, their initialisation, which has another optimiser: resuming
    from it failed (``KeyError: 'param_groups'``). Here ``load_from`` only
    initialises a fresh run; ``--resume`` continues from the newest
    checkpoint of the work_dir when there is one (``last_checkpoint`` or
    the highest ``iter_<N>.pth``), and starts afresh otherwise.

    Args:
        cfg (Config): The loaded config (``work_dir``, ``load_from``).
        resume (bool): ``--resume`` was given.

    Raises:
        FileNotFoundError: If a fresh run's local ``load_from`` does not
            exist.
    """
    from mmengine.logging import print_log

    from ..checkpoint import find_latest_checkpoint
    load_from = cfg.get('load_from')
    latest = find_latest_checkpoint(cfg.work_dir) if resume else None
    if latest is not None:
        cfg.resume, cfg.load_from = True, latest
        note = (f' (load_from={load_from} initialises fresh runs only)'
                if load_from and load_from != latest else '')
        print_log(f'--resume: continuing from {latest}{note}',
                  logger='current')
        return
    cfg.resume = resume and not load_from
    if not load_from:
        return
    if resume:
        print_log(f'--resume: no checkpoint in {cfg.work_dir} yet; starting '
                  f'a fresh run from load_from={load_from}', logger='current')
    if '://' not in str(load_from) and not osp.isfile(load_from):
        raise FileNotFoundError(
            f'load_from={load_from}: no such checkpoint. It is the '
            'checkpoint this run starts from (for self-training: the '
            'stage-1 checkpoint, so run STEP 2 first, or pass '
            '--cfg-options load_from=CKPT).')


def enable_tensorboard(cfg) -> None:
    """Add ``TensorboardVisBackend`` to ``cfg.visualizer.vis_backends``.

    Scalars (losses, learning rates, metrics) are then also written as
    TensorBoard events to ``<work_dir>/<timestamp>/vis_data/``; view them
    with ``tensorboard --logdir <work_dir>``.

    Raises:
        ImportError: If the ``tensorboard`` package is not installed (it is
            the optional extra ``pip install -e '.[tensorboard]'``).
    """
    if importlib.util.find_spec('tensorboard') is None:
        raise ImportError(
            "--tensorboard needs the 'tensorboard' package: install the "
            "optional extra with  .venv/bin/pip install -e '.[tensorboard]'")
    visualizer = cfg.setdefault('visualizer', {})
    backends = list(visualizer.get('vis_backends') or [])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends
