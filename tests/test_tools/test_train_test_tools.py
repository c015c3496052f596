"""tools/train.py and tools/test.py: argument handling and a real round trip.

The argument tests call the tools' ``parse_args`` / ``load_config`` / ``main``
in-process with the Runner replaced by a recorder
(``_helpers.record_runner``), so they check exactly
which config the Runner would get. The round trip runs the real entry points
in subprocesses on a tiny DDA config derived from the demo config:
train 3 iterations -> checkpoint -> test in a new process -> resume to 5
(exactness of the resume: ``tests/test_robustness/test_resume.py``).
"""
import mmseg_dda  # noqa: F401

import os
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import RUNNERS

from _helpers import (REPO, load_tool, log_lines, parse_metrics,
                      record_runner, recording_runner, run_tool_inprocess)
from _tiny_models import tiny_dda_cfg, tiny_segmentor_cfg

DDA_CFG = str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py')
SELFTRAIN_CFG = str(REPO / 'configs' / 'dda' / 'syn2city_16cls_selftrain.py')


@pytest.fixture(autouse=True)
def _restore_local_rank(monkeypatch):
    """``load_config`` exports LOCAL_RANK; keep it from leaking into later
    tests and their subprocesses."""
    if 'LOCAL_RANK' in os.environ:
        monkeypatch.setenv('LOCAL_RANK', os.environ['LOCAL_RANK'])
    else:
        # setenv records the variable as absent: teardown removes it.
        monkeypatch.setenv('LOCAL_RANK', '0')
        monkeypatch.delenv('LOCAL_RANK')


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


@pytest.fixture(scope='module')
def test_tool():
    return load_tool('test')


# -- parse_args ---------------------------------------------------------------
def test_train_parse_args_defaults_and_flags(train_tool):
    args = train_tool.parse_args([DDA_CFG])
    assert (args.config, args.resume, args.amp, args.launcher, args.work_dir,
            args.cfg_options, args.local_rank) == (DDA_CFG, False, False,
                                                   'none', None, None, 0)
    args = train_tool.parse_args([
        DDA_CFG, '--resume', '--amp', '--launcher', 'pytorch', '--work-dir',
        'wd', '--cfg-options', 'train_cfg.max_iters=7', 'a.b=[1,2]',
        'model.density.params=c7'
    ])
    assert args.resume and args.amp and args.launcher == 'pytorch'
    assert args.work_dir == 'wd'
    # DictAction parses numbers and lists.
    assert args.cfg_options == {
        'train_cfg.max_iters': 7, 'a.b': [1, 2], 'model.density.params': 'c7'}


@pytest.mark.parametrize('flag', ['--local-rank', '--local_rank'])
def test_local_rank_both_spellings(train_tool, test_tool, flag):
    assert train_tool.parse_args([DDA_CFG, flag, '3']).local_rank == 3
    assert test_tool.parse_args([DDA_CFG, 'c.pth', flag, '1']).local_rank == 1


def test_bad_launcher_is_rejected(train_tool, capsys):
    with pytest.raises(SystemExit):
        train_tool.parse_args([DDA_CFG, '--launcher', 'torchrun'])
    assert "invalid choice: 'torchrun'" in capsys.readouterr().err


def test_test_parse_args(test_tool):
    args = test_tool.parse_args([DDA_CFG, 'ckpt.pth'])
    assert (args.checkpoint, args.out, args.show_dir,
            args.launcher) == ('ckpt.pth', None, None, 'none')
    args = test_tool.parse_args([
        DDA_CFG, 'ckpt.pth', '--out', 'preds', '--show-dir', 'vis',
        '--work-dir', 'wd', '--launcher', 'pytorch'
    ])
    assert (args.out, args.show_dir, args.work_dir,
            args.launcher) == ('preds', 'vis', 'wd', 'pytorch')


# -- load_config --------------------------------------------------------------
def test_load_config_work_dir_default_and_override(train_tool, tmp_path,
                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = train_tool.load_config(train_tool.parse_args([DDA_CFG]))
    # MMSeg convention: ./work_dirs/<config stem>, created and writable.
    assert cfg.work_dir == osp.join('./work_dirs', 'syn2city_16cls')
    assert (tmp_path / 'work_dirs' / 'syn2city_16cls').is_dir()
    cfg = train_tool.load_config(
        train_tool.parse_args([DDA_CFG, '--work-dir', str(tmp_path / 'x')]))
    assert cfg.work_dir == str(tmp_path / 'x')
    # A work_dir set by --cfg-options (or in the config) is kept.
    cfg = train_tool.load_config(
        train_tool.parse_args(
            [DDA_CFG, '--cfg-options', f'work_dir={tmp_path / "y"}']))
    assert cfg.work_dir == str(tmp_path / 'y')


def test_load_config_applies_cfg_options_and_launcher(train_tool, tmp_path):
    args = train_tool.parse_args([
        DDA_CFG, '--work-dir', str(tmp_path), '--launcher', 'pytorch',
        '--cfg-options', 'train_cfg.max_iters=7',
        'optim_wrapper.discriminator.optimizer.lr=0.5',
        'model.loss_weights.adv_tgt=0.25'
    ])
    cfg = train_tool.load_config(args)
    assert cfg.launcher == 'pytorch'
    assert cfg.train_cfg.max_iters == 7
    assert cfg.optim_wrapper.discriminator.optimizer.lr == 0.5
    # Untouched siblings keep the config's values.
    assert cfg.optim_wrapper.segmentor.optimizer.lr == 2.5e-4
    assert cfg.model.loss_weights.adv_tgt == 0.25
    assert cfg.model.loss_weights.density_tgt == 0.05


def test_dist_backend_gloo_without_gpu(train_tool, tmp_path, monkeypatch):
    args = train_tool.parse_args([DDA_CFG, '--work-dir', str(tmp_path)])
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert train_tool.load_config(args).env_cfg.dist_cfg.backend == 'gloo'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    # With a GPU the config's backend (nccl) is kept.
    assert train_tool.load_config(args).env_cfg.dist_cfg.backend == 'nccl'


def test_cpu_launcher_drops_ddp_device_ids(train_tool, tmp_path,
                                           monkeypatch):
    """PyTorch rejects DDP ``device_ids`` for CPU modules; the Runner adds
    ``[LOCAL_RANK]`` unless the config sets them (here: to None)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    base = [DDA_CFG, '--work-dir', str(tmp_path)]
    cfg = train_tool.load_config(train_tool.parse_args(base))
    assert 'device_ids' not in cfg.model_wrapper_cfg  # not distributed
    cfg = train_tool.load_config(
        train_tool.parse_args(base + ['--launcher', 'pytorch']))
    assert cfg.model_wrapper_cfg == dict(
        type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=True, device_ids=None)
    cfg = train_tool.load_config(
        train_tool.parse_args(
            [SELFTRAIN_CFG, '--work-dir',
             str(tmp_path), '--launcher', 'pytorch']))
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', find_unused_parameters=True,
        device_ids=None)
    # Without a model_wrapper_cfg the Runner's default wrapper is spelled
    # out, with find_unused_parameters taken from the config.
    cfg = train_tool.load_config(
        train_tool.parse_args(base + [
            '--launcher', 'pytorch', '--cfg-options',
            'model_wrapper_cfg=None', 'find_unused_parameters=True'
        ]))
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', device_ids=None,
        broadcast_buffers=False, find_unused_parameters=True)
    # With a GPU nothing is changed.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = train_tool.load_config(
        train_tool.parse_args(base + ['--launcher', 'pytorch']))
    assert 'device_ids' not in cfg.model_wrapper_cfg


def test_init_cpu_distributed_only_for_pytorch_launcher_on_cpu(monkeypatch):
    import torch.distributed as dist

    from mmseg_dda.compat.cpu_distributed import init_cpu_distributed
    started = []
    monkeypatch.setattr(dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(dist, 'init_process_group',
                        lambda **kw: started.append(kw))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(launcher='none', env_cfg=dict(dist_cfg=dict(
        backend='gloo', timeout=60))))
    assert init_cpu_distributed(cfg) is False and not started
    cfg.launcher = 'pytorch'
    assert init_cpu_distributed(cfg) is True
    (kwargs, ) = started
    assert kwargs['backend'] == 'gloo' and kwargs['init_method'] == 'env://'
    assert kwargs['timeout'].total_seconds() == 60
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert init_cpu_distributed(cfg) is False  # MMEngine's init_dist
    assert len(started) == 1


def test_local_rank_exported_unless_set(train_tool, tmp_path, monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    train_tool.load_config(
        train_tool.parse_args(
            [DDA_CFG, '--work-dir', str(tmp_path), '--local_rank', '2']))
    assert os.environ['LOCAL_RANK'] == '2'
    # torchrun's LOCAL_RANK wins over the flag.
    monkeypatch.setenv('LOCAL_RANK', '1')
    train_tool.load_config(
        train_tool.parse_args(
            [DDA_CFG, '--work-dir', str(tmp_path), '--local-rank', '5']))
    assert os.environ['LOCAL_RANK'] == '1'


def test_load_config_errors_name_the_path(train_tool, tmp_path):
    missing = str(tmp_path / 'nope.py')
    with pytest.raises(FileNotFoundError, match='nope.py does not exist'):
        train_tool.load_config(train_tool.parse_args([missing]))
    blocker = tmp_path / 'file'
    blocker.write_text('x')  # a file where a folder is needed
    with pytest.raises(PermissionError, match=r"'.*file/wd' is not writable"):
        train_tool.load_config(
            train_tool.parse_args([DDA_CFG, '--work-dir', str(blocker /
                                                               'wd')]))


# -- --amp --------------------------------------------------------------------
def test_enable_amp_switches_every_wrapper(train_tool):
    cfg = Config.fromfile(DDA_CFG)
    train_tool.enable_amp(cfg)
    ow = cfg.optim_wrapper
    assert ow.constructor == 'MultiOptimWrapperConstructor'
    for key in ('segmentor', 'discriminator'):
        assert ow[key].type == 'AmpOptimWrapper'
        assert ow[key].loss_scale == 'dynamic'
    assert ow.segmentor.optimizer.type == 'SGD'
    assert ow.discriminator.optimizer.type == 'Adam'
    # Self-training: a single OptimWrapper.
    cfg = Config.fromfile(SELFTRAIN_CFG)
    train_tool.enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def test_enable_amp_keeps_amp_and_rejects_other_wrappers(train_tool):
    cfg = Config.fromfile(DDA_CFG)
    cfg.optim_wrapper.segmentor.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.segmentor.loss_scale = 512.0
    train_tool.enable_amp(cfg)
    assert cfg.optim_wrapper.segmentor.loss_scale == 512.0  # untouched
    assert cfg.optim_wrapper.discriminator.type == 'AmpOptimWrapper'
    cfg = Config.fromfile(DDA_CFG)
    cfg.optim_wrapper.discriminator.type = 'ApexOptimWrapper'
    with pytest.raises(ValueError, match='only supported with OptimWrapper'):
        train_tool.enable_amp(cfg)


def test_amp_config_builds_two_amp_wrappers(train_tool, monkeypatch):
    """The multi-optimiser constructor honours the switched type per key.

    ``AmpOptimWrapper`` refuses to build without an accelerator, so the
    availability probe is patched; the GradScaler is then merely disabled.
    """
    from mmengine.optim import AmpOptimWrapper, build_optim_wrapper
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(DDA_CFG)
    train_tool.enable_amp(cfg)
    init_default_scope('mmseg')
    segmentor = tiny_segmentor_cfg(16, aux_heads=False,
                                   backbone=dict(init_cfg=None))
    model = MODELS.build(tiny_dda_cfg(16, segmentor,
                                      adversarial_input='entropy'))
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    with pytest.warns(UserWarning):  # GradScaler: CUDA not available
        wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    assert set(wrappers.keys()) == {'segmentor', 'discriminator'}
    for wrapper in wrappers.values():
        assert isinstance(wrapper, AmpOptimWrapper)


# -- main() -------------------------------------------------------------------
def test_train_main_builds_runner_with_flags(train_tool, tmp_path,
                                             monkeypatch):
    runs = []
    built = record_runner(monkeypatch, train_tool, runs)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    train_tool.main([DDA_CFG, '--work-dir', str(tmp_path), '--resume',
                     '--amp', '--cfg-options', 'train_cfg.max_iters=9'])
    (cfg, ) = built
    assert runs == ['train']
    assert cfg.resume is True and cfg.train_cfg.max_iters == 9
    assert cfg.optim_wrapper.segmentor.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.discriminator.type == 'AmpOptimWrapper'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.launcher == 'none' and cfg.work_dir == str(tmp_path)
    train_tool.main([DDA_CFG, '--work-dir', str(tmp_path)])
    (_, cfg) = built
    assert cfg.resume is False
    assert cfg.optim_wrapper.segmentor.type == 'OptimWrapper'


def test_train_main_uses_runner_type(train_tool, tmp_path, monkeypatch):
    # A ``runner_type`` runner is built through ``RUNNERS.build``.
    custom_built, custom_runs = [], []
    RUNNERS.register_module(
        name='_ToolsTestRunner', force=True,
        module=recording_runner(custom_built, custom_runs))
    built = record_runner(monkeypatch, train_tool)
    train_tool.main([DDA_CFG, '--work-dir', str(tmp_path), '--cfg-options',
                     'runner_type=_ToolsTestRunner'])
    assert built == []  # Runner.from_cfg not used
    assert len(custom_built) == 1 and custom_runs == ['train']


def test_test_main_show_dir_out_and_checkpoint(test_tool, tmp_path,
                                               monkeypatch):
    runs = []
    built = record_runner(monkeypatch, test_tool, runs)
    test_tool.main([DDA_CFG, 'some/ckpt.pth', '--work-dir', str(tmp_path)])
    (cfg, ) = built
    assert runs == ['test']
    assert cfg.load_from == 'some/ckpt.pth'
    # Without the flags the config's hook and evaluator stay as they are.
    assert cfg.default_hooks.visualization.type == 'SegVisualizationHook'
    assert cfg.test_evaluator.get('output_dir') is None
    test_tool.main([DDA_CFG, 'c.pth', '--work-dir', str(tmp_path),
                    '--show-dir', 'vis', '--out', 'preds'])
    (_, cfg) = built
    assert cfg.default_hooks.visualization == dict(
        type='DDAVisualizationHook', show_dir='vis')
    assert cfg.test_evaluator.output_dir == 'preds'
    assert cfg.test_evaluator.keep_results is True
    assert cfg.test_evaluator.type == 'UDAIoUMetric'


# -- round trip through the real entry points ---------------------------------
def _train_losses(output: str, it: int, total: int) -> str:
    (line, ) = log_lines(output, f'Iter(train) [{it}/{total}]')
    return line


def _lr(line: str, name: str) -> float:
    return float(line.split(f'{name}.lr: ')[1].split()[0])


def test_train_run_logs_and_checkpoint(tiny_dda_trained):
    """The session's 3-iteration ``tools/train.py`` run (its own process):
    schedules and losses in the log, a checkpoint loadable without
    unpickling arbitrary objects."""
    run = tiny_dda_trained
    out = run['train_out']
    # Poly LR (power 0.9, horizon 5) on both optimisers with the demo's
    # base LRs; the log line of iteration n shows LR(n - 1).
    line = _train_losses(out, 3, 3)
    for name, base in (('segmentor', 0.01), ('discriminator', 1e-4)):
        assert _lr(line, name) == pytest.approx(base * (1 - 2 / 5)**0.9,
                                                rel=1e-4)
    for key in ('src.loss_seg', 'src.loss_depth', 'src.loss_density',
                'tgt.loss_adv', 'tgt.loss_density', 'disc.loss_src',
                'disc.loss_tgt'):
        assert f'{key}: ' in line
    ckpt = run['work'] / 'iter_3.pth'
    assert ckpt.is_file()
    assert (run['work'] / 'last_checkpoint').read_text().strip().endswith(
        'iter_3.pth')
    # The project's checkpoints load without unpickling arbitrary objects.
    state = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert state['meta']['iter'] == 3
    assert set(state['optimizer']) == {'segmentor', 'discriminator'}
    keys = list(state['state_dict'])
    assert any(k.startswith('segmentor.backbone.') for k in keys)
    assert any(k.startswith('discriminator.0.') for k in keys)
    assert set(parse_metrics(out)) == {'mIoU', 'mIoU*', 'aAcc'}


def test_test_run_then_resume(tiny_dda_run, tmp_path):
    """Checkpoint -> ``tools/test.py`` in a new process -> resume to 5.
    That a resumed run ends bit for bit where an uninterrupted one ends is
    checked once, in-process, by ``tests/test_robustness/test_resume.py``.
    """
    run = tiny_dda_run
    cfg, ckpt = run['config'], run['ckpt']
    val_metrics = parse_metrics(run['train_out'])

    # Test from the checkpoint in a new process: the metrics equal the
    # end-of-training validation, predictions and figures are written.
    out = run['test_out']
    assert 'Iter(test) [3/3]' in out
    test_metrics = parse_metrics(out)
    assert test_metrics == val_metrics
    assert set(test_metrics) == {'mIoU', 'mIoU*', 'aAcc'}
    assert '3 images evaluated at 64x128' in out  # native toy GT size
    assert len(list(run['preds'].glob('*.png'))) == 3
    assert len(list(run['vis'].rglob('*.png'))) == 3

    # Resume to iteration 5 (in a copy of the shared work_dir): model, both
    # optimisers, schedules and the iteration are restored.
    work = tmp_path / 'work'
    work.mkdir()
    shutil.copy(ckpt, work / 'iter_3.pth')
    (work / 'last_checkpoint').write_text(str(work / 'iter_3.pth'))
    opts = ['--cfg-options', 'train_cfg.max_iters=5',
            'train_cfg.val_interval=5', 'default_hooks.checkpoint.interval=5']
    # The resumed run in this process: it reads only the files above.
    out = run_tool_inprocess('train.py', [cfg, '--work-dir', work,
                                          '--resume', *opts]).stdout
    assert 'resumed epoch: 0, iter: 3' in out
    assert not log_lines(out, 'Iter(train) [3/5]')
    line = _train_losses(out, 4, 5)
    assert _lr(line, 'segmentor') == pytest.approx(
        0.01 * (1 - 3 / 5)**0.9, rel=1e-4)
    resumed = torch.load(work / 'iter_5.pth', weights_only=True)
    assert resumed['meta']['iter'] == 5
    assert set(resumed['optimizer']) == {'segmentor', 'discriminator'}


def test_test_tool_rejects_missing_checkpoint(tiny_dda, tmp_path):
    proc = run_tool_inprocess('test.py', [
        tiny_dda['config'], tmp_path / 'missing.pth', '--work-dir', tmp_path
    ], check=False)
    assert proc.returncode != 0
    assert 'missing.pth' in proc.stdout
