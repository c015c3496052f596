"""Shared set-up of the train/test entry scripts (``tools/train.py``, ``tools/test.py``)."""
import argparse
import os
import os.path as osp
import tempfile

import torch
from mmengine.config import Config, DictAction


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


def load_config(args: argparse.Namespace) -> Config:
    """Load the config and apply ``--cfg-options``, ``--work-dir``, launcher.

    The distributed backend falls back to ``gloo`` when no GPU is present, so
    the same config runs under ``torchrun`` on CPU and on GPU clusters.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if not torch.cuda.is_available():
        env_cfg = cfg.setdefault('env_cfg', {})
        dist_cfg = env_cfg.setdefault('dist_cfg', {})
        dist_cfg['backend'] = 'gloo'
    check_writable_dir(cfg.work_dir)
    return cfg


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
