"""Exact resume: N iterations straight == N/2, stop, resume, N/2 more.

A tiny DDA model (both networks, both optimisers, the poly schedule) on the
toy data, on CPU with deterministic settings, built as ``tools/train.py``
builds it (``RUNNERS.build``: the config's ``DDARunner``) in this process.
Compared after N iterations: every weight and buffer of the segmentor and
the discriminator, the SGD and Adam states, the scheduler states and the
iteration, and the losses logged at every iteration.

A resumed run with another config: a new learning rate is applied and
logged (the schedule continues from the new base LR); a changed model is
refused, listing the difference.
"""
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmseg.registry import RUNNERS

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import read_checkpoint
from mmseg_dda.engine import ResumeConfigError

N = 4


class _LossRecorder(Hook):
    """Keeps the loss dict returned by every ``train_step``."""

    priority = 'VERY_LOW'

    def __init__(self):
        self.losses = {}
        self.lrs = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        # The learning rates this iteration's step uses.
        self.lrs[runner.iter + 1] = {
            name: wrapper.param_groups[0]['lr']
            for name, wrapper in runner.optim_wrapper.items()}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        # runner.iter is incremented after this hook.
        self.losses[runner.iter + 1] = {
            k: float(v) for k, v in outputs.items()}


def _train(cfg_path, work_dir, max_iters, resume, name, options=None,
           recorder=None):
    cfg = Config.fromfile(str(cfg_path))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.resume = resume
    cfg.experiment_name = name  # own MessageHub/logger per run
    cfg.merge_from_dict(options or {})
    assert cfg.runner_type == 'DDARunner'
    runner = RUNNERS.build(cfg)
    recorder = recorder or _LossRecorder()
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


def test_resume_applies_a_new_learning_rate(tmp_path, tiny_dda_config):
    """Issue 22: ``--resume`` with a new LR trained with the old one."""
    key = 'optim_wrapper.segmentor.optimizer.lr'
    base = Config.fromfile(str(tiny_dda_config)).optim_wrapper.segmentor[
        'optimizer']['lr']
    straight = _LossRecorder()
    _train(tiny_dda_config, tmp_path / 'straight', N, False, 'lr_straight',
           recorder=straight)
    _train(tiny_dda_config, tmp_path / 'split', N // 2, False, 'lr_a')
    resumed = _LossRecorder()
    _train(tiny_dda_config, tmp_path / 'split', N, True, 'lr_b',
           options={key: base * 2}, recorder=resumed)
    assert sorted(resumed.lrs) == [3, 4]
    for i in (3, 4):
        assert resumed.lrs[i]['segmentor'] == pytest.approx(
            2 * straight.lrs[i]['segmentor'], rel=1e-6)
        assert resumed.lrs[i]['discriminator'] == pytest.approx(
            straight.lrs[i]['discriminator'], rel=1e-6)
    assert straight.lrs[3]['segmentor'] != straight.lrs[4]['segmentor']
    text = '\n'.join(p.read_text() for p in
                     (tmp_path / 'split').glob('*/*.log'))
    assert f'{key}: {base!r} -> {base * 2!r}' in text
    assert f'resume: {key} {base} -> {base * 2} applied' in text


def test_resume_refuses_a_model_change(tmp_path, tiny_dda_config):
    _train(tiny_dda_config, tmp_path / 'w', N // 2, False, 'model_a')
    key = 'model.loss_weights.adv_tgt'
    with pytest.raises(ResumeConfigError) as err:
        _train(tiny_dda_config, tmp_path / 'w', N, True, 'model_b',
               options={key: 0.5, 'train_cfg.val_interval': 7})
    message = str(err.value)
    assert 'iter_2.pth: the config changes 1 settings that cannot change' \
        in message
    assert f'  {key}: ' in message and '-> 0.5' in message
    assert 'val_interval' not in message  # a setting that may change
