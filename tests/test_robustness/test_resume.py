"""Exact resume: N iterations straight == N/2, stop, resume, N/2 more.

A tiny DDA model (both networks, both optimisers, the poly schedule) on the
toy data, on CPU with deterministic settings, through ``Runner.from_cfg`` in
this process. Compared after N iterations: every weight and buffer of the
segmentor and the discriminator, the SGD and Adam states, the scheduler
states and the iteration, and the losses logged at every iteration.
"""
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import read_checkpoint

N = 4


class _LossRecorder(Hook):
    """Keeps the loss dict returned by every ``train_step``."""

    priority = 'VERY_LOW'

    def __init__(self):
        self.losses = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        # runner.iter is incremented after this hook.
        self.losses[runner.iter + 1] = {
            k: float(v) for k, v in outputs.items()}


def _train(cfg_path, work_dir, max_iters, resume, name):
    cfg = Config.fromfile(str(cfg_path))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.resume = resume
    cfg.experiment_name = name  # own MessageHub/logger per run
    runner = Runner.from_cfg(cfg)
    recorder = _LossRecorder()
    runner.register_hook(recorder)
    runner.train()
    return recorder.losses


def _assert_same(a, b, path='checkpoint'):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype, path
        assert torch.equal(a, b), f'{path} differs'
    elif isinstance(a, dict):
        assert set(a) == set(b), f'{path}: keys {set(a) ^ set(b)}'
        for k in a:
            _assert_same(a[k], b[k], f'{path}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{path}[{i}]')
    else:
        assert a == b, f'{path}: {a!r} != {b!r}'


def test_resume_is_exact(tmp_path, tiny_dda_config):
    straight = _train(tiny_dda_config, tmp_path / 'straight', N, False,
                      'straight')
    first = _train(tiny_dda_config, tmp_path / 'split', N // 2, False,
                   'split_a')
    second = _train(tiny_dda_config, tmp_path / 'split', N, True, 'split_b')

    assert sorted(straight) == list(range(1, N + 1))
    assert sorted(first) == [1, 2] and sorted(second) == [3, 4]
    # Losses of every iteration (all seven DDA terms), bit for bit.
    assert set(straight[1]) >= {'src.loss_seg', 'src.loss_depth',
                                'src.loss_density', 'tgt.loss_adv',
                                'tgt.loss_density', 'disc.loss_src',
                                'disc.loss_tgt'}
    assert {**first, **second} == straight
    assert straight[3] != straight[4]  # the weights do change

    a = read_checkpoint(str(tmp_path / 'straight' / f'iter_{N}.pth'))
    b = read_checkpoint(str(tmp_path / 'split' / f'iter_{N}.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == N
    sd = a['state_dict']
    assert any(k.startswith('segmentor.') for k in sd)
    assert any(k.startswith('discriminator.') for k in sd)
    _assert_same(sd, b['state_dict'], 'state_dict')
    assert set(a['optimizer']) == {'segmentor', 'discriminator'}
    for name in ('segmentor', 'discriminator'):
        assert a['optimizer'][name]['state'], f'{name}: empty optimiser'
    _assert_same(a['optimizer'], b['optimizer'], 'optimizer')
    _assert_same(a['param_schedulers'], b['param_schedulers'],
                 'param_schedulers')
