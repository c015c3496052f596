"""DDARunner's readable console (tools/train.py, tools/test.py); TensorBoard.

The round trip runs the real tools on the tiny DDA config: the console
shows progress and results but not the environment/config/hook dump, which
the work_dir log file still holds.
"""
import mmseg_dda  # noqa: F401

import glob
import io
import logging
import os

import pytest
from mmengine.config import Config

from _helpers import REPO, load_tool, record_runner
from mmseg_dda.engine.runner.console import ConsoleFilter, console_handlers
from mmseg_dda.utils import runtime
from mmseg_dda.utils.runtime import enable_tensorboard

DUMP_MARKERS = ('System environment:', 'Runtime environment:', 'Config:',
                'Hooks will be executed in the following order')


def _record(level, msg):
    return logging.LogRecord('x', level, __file__, 1, msg, None, None)


def test_console_filter():
    flt = ConsoleFilter()
    assert not flt.filter(_record(logging.INFO, 'Config:\n...'))
    assert flt.filter(_record(logging.WARNING, 'a real warning'))
    assert flt.filter(_record(logging.ERROR, 'an error'))
    flt.setup = False
    assert flt.filter(_record(logging.INFO, 'Iter(train) [1/3]'))
    assert not flt.filter(_record(
        logging.WARNING, 'The prefix is not set in metric class X.'))


def test_console_handlers_skip_file_handlers(tmp_path):
    logger = logging.getLogger('test_console_handlers')
    stream = logging.StreamHandler(io.StringIO())
    file_handler = logging.FileHandler(tmp_path / 'x.log')
    logger.handlers = [stream, file_handler]
    try:
        assert console_handlers(logger) == [stream]
    finally:
        file_handler.close()
        logger.handlers = []


def test_train_and_test_console_without_setup_dump(tiny_dda_run):
    # The session's real train.py / test.py processes on the tiny config.
    run = tiny_dda_run
    work, test_work = run['work'], run['test_work']
    train, test = run['train_out'], run['test_out']
    for out in (train, test):
        for marker in DUMP_MARKERS:
            assert marker not in out, marker
        assert 'Environment, config and hooks: see ' in out
        assert 'UDAIoUMetric: 3 images evaluated' in out  # results
        assert 'The prefix is not set in metric class' not in out
    assert 'Iter(train) [3/3]' in train  # progress
    assert len(train.splitlines()) < 80
    for folder in (work, test_work):
        (log_file, ) = glob.glob(str(folder / '*' / '*.log'))
        text = open(log_file).read()
        for marker in DUMP_MARKERS:
            assert marker in text, (log_file, marker)
        assert log_file in (train if folder == work else test)
    assert 'Iter(train) [3/3]' in open(
        glob.glob(str(work / '*' / '*.log'))[0]).read()


# -- TensorBoard --------------------------------------------------------------
def test_enable_tensorboard(monkeypatch):
    cfg = Config.fromfile(str(REPO / 'configs' / 'dda' /
                              'syn2city_16cls.py'))
    monkeypatch.setattr(runtime.importlib.util, 'find_spec',
                        lambda name: None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[tensorboard"):
        enable_tensorboard(cfg)
    monkeypatch.setattr(runtime.importlib.util, 'find_spec',
                        lambda name: object())
    enable_tensorboard(cfg)
    enable_tensorboard(cfg)  # idempotent
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']


def test_train_tensorboard_flag(monkeypatch, tmp_path):
    tool = load_tool('train')
    built = record_runner(monkeypatch, tool)
    monkeypatch.setattr(runtime.importlib.util, 'find_spec',
                        lambda name: object())
    monkeypatch.setenv('LOCAL_RANK', os.environ.get('LOCAL_RANK', '0'))
    config = str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py')
    # The density-map and ImageNet pre-checks of train.py need data; they
    # are not what this test is about.
    for name in ('check_config_density_maps', 'check_pretrained_files'):
        if hasattr(tool, name):
            monkeypatch.setattr(tool, name, lambda cfg: None)
    tool.main([config, '--work-dir', str(tmp_path), '--tensorboard'])
    tool.main([config, '--work-dir', str(tmp_path / 'b')])
    assert built[0].visualizer.vis_backends[-1] == dict(
        type='TensorboardVisBackend')
    assert [b['type'] for b in built[1].visualizer.vis_backends] == [
        'LocalVisBackend']


def test_tensorboard_is_an_optional_extra(monkeypatch):
    import runpy

    import setuptools
    captured = {}
    monkeypatch.setattr(setuptools, 'setup', lambda **kw: captured.update(kw))
    monkeypatch.chdir(REPO)
    runpy.run_path('setup.py')
    assert [r.split('>')[0] for r in captured['extras_require']
            ['tensorboard']] == ['tensorboard']
    assert not any(r.startswith('tensorboard')
                   for r in captured['install_requires'])
