"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (gloo).

Runs the real launchers (torchrun) on the tiny DDA config of
``_helpers.write_tiny_dda_config``. A probe hook saves each rank's weights
after training: parameters must be identical on both ranks (gradients are
all-reduced by the separate DDP wrappers) while the BN running statistics
differ (each rank saw its own shard of the data, and buffers are not
broadcast), so the check fails both without synchronisation and without
sharding.
"""
import mmseg_dda  # noqa: F401

import shutil
import textwrap

import pytest
import torch
import torch.distributed as dist

from _helpers import (PYTHON, REPO, free_port, parse_metrics, run_cmd,
                      run_tool_inprocess, tool_env)

pytestmark = [
    pytest.mark.skipif(
        not dist.is_available() or not dist.is_gloo_available(),
        reason='torch.distributed with the gloo backend is not available'),
    pytest.mark.skipif(
        shutil.which('bash') is None,
        reason='tools/dist_*.sh need bash'),
]

PROBE = '''
import os

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class DistProbeHook(Hook):
    """Save this rank's model state after training."""

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def after_train(self, runner):
        state = {k: v.detach().cpu().clone()
                 for k, v in runner.model.state_dict().items()}
        torch.save(state, os.path.join(self.out_dir,
                                       f'rank{runner.rank}.pth'))
'''


@pytest.fixture(scope='module')
def dist_setup(tmp_path_factory, tiny_dda):
    tmp = tmp_path_factory.mktemp('dist')
    tiny = tiny_dda
    (tmp / 'dist_probe_hook.py').write_text(PROBE)
    probe_out = tmp / 'probe'
    probe_out.mkdir()
    cfg = tmp / 'tiny_dda_dist.py'
    cfg.write_text(textwrap.dedent(f'''\
        _base_ = [{tiny['config']!r}]
        custom_imports = dict(
            imports=['mmseg_dda', 'dist_probe_hook'],
            allow_failed_imports=False)
        custom_hooks = [
            dict(type='PlainCheckpointHook'),
            dict(type='DistProbeHook', out_dir={str(probe_out)!r}),
        ]
        '''))
    return dict(tmp=tmp, config=str(cfg), probe=probe_out)


def _launch(script, args, tmp):
    env = tool_env(PYTHON=PYTHON, PORT=str(free_port()),
                   PYTHONPATH=str(tmp))
    return run_cmd(['bash', str(REPO / 'tools' / script), *args], env=env,
                   timeout=300).stdout


def _run_log(work_dir):
    """The run's log file: the environment dump is written there only."""
    return ''.join(p.read_text() for p in sorted(work_dir.glob('*/*.log')))


@pytest.fixture(scope='module')
def dist_train_run(dist_setup):
    """2-process training (2 iterations, validation at the end)."""
    tmp, cfg = dist_setup['tmp'], dist_setup['config']
    work = tmp / 'work'
    train_out = _launch('dist_train.sh', [
        cfg, '2', '--work-dir', work, '--cfg-options',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ], tmp) + _run_log(work)
    return dict(dist_setup, ckpt=work / 'iter_2.pth', train_out=train_out)


@pytest.fixture(scope='module')
def dist_run(dist_train_run):
    """Then a 2-process test of the checkpoint it saved."""
    tmp = dist_train_run['tmp']
    test_out = _launch('dist_test.sh', [
        dist_train_run['config'], dist_train_run['ckpt'], '2', '--work-dir',
        tmp / 'test_dist'
    ], tmp) + _run_log(tmp / 'test_dist')
    return dict(dist_train_run, test_out=test_out)


def test_dist_train_syncs_gradients(dist_train_run):
    out = dist_train_run['train_out']
    assert 'Distributed launcher: pytorch' in out
    assert 'Distributed training: True' in out
    assert "dist_cfg: {'backend': 'gloo'}" in out
    assert 'Iter(train) [2/2]' in out
    assert dist_train_run['ckpt'].is_file()
    ranks = [
        torch.load(dist_train_run['probe'] / f'rank{r}.pth',
                   weights_only=True) for r in (0, 1)
    ]
    # MMSeparateDistributedDataParallel wraps segmentor and discriminator
    # separately.
    assert any(k.startswith('module.segmentor.module.') for k in ranks[0])
    assert any(
        k.startswith('module.discriminator.module.') for k in ranks[0])
    stats = ('running_mean', 'running_var', 'num_batches_tracked')
    params = [k for k in ranks[0] if not k.endswith(stats)]
    for key in params:
        torch.testing.assert_close(
            ranks[1][key], ranks[0][key], rtol=0, atol=0, msg=key)
    bn = [k for k in ranks[0] if k.endswith('running_mean')]
    assert any(not torch.equal(ranks[0][k], ranks[1][k]) for k in bn)


def test_dist_test_runs(dist_run):
    out = dist_run['test_out']
    assert 'Distributed training: True' in out
    assert 'Iter(test) [2/2]' in out  # 3 images over 2 ranks
    # The padded duplicate is dropped when the results are collected.
    assert '3 images evaluated at 64x128 (3 images)' in out
    assert set(parse_metrics(out)) == {'mIoU', 'mIoU*', 'aAcc'}


def test_dist_checkpoint_loads_everywhere(dist_run, monkeypatch):
    state = torch.load(dist_run['ckpt'], weights_only=True)['state_dict']
    assert not [k for k in state if '.module.' in k]
    assert 'missing keys in source state_dict' not in dist_run['test_out']
    monkeypatch.syspath_prepend(str(dist_run['tmp']))  # dist_probe_hook
    single = run_tool_inprocess('test.py', [
        dist_run['config'], dist_run['ckpt'], '--work-dir',
        dist_run['tmp'] / 'test_single'
    ]).stdout
    assert 'missing keys in source state_dict' not in single
    assert parse_metrics(single) == parse_metrics(dist_run['test_out'])
