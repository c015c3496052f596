"""A missing Pretrained checkpoint is named with the step that creates it."""
import mmseg_dda  # noqa: F401

import pytest
from mmengine.config import Config

from _helpers import REPO
from mmseg_dda.utils.pretrained_check import check_pretrained_files

DDA_CFG = str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py')


def test_missing_imagenet_checkpoint_gives_the_recipe(tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(DDA_CFG)
    with pytest.raises(FileNotFoundError) as err:
        check_pretrained_files(cfg)
    msg = str(err.value)
    assert msg.startswith('ImageNet initialisation checkpoints/'
                          'deeplabv2_r101_imagenet.pth not found '
                          '(model.segmentor.backbone.init_cfg.checkpoint)')
    assert ('releases/download/v0.1/DeepLab_resnet_pretrained_imagenet.pth'
            in msg)
    assert ('tools/convert_reference_checkpoint.py DeepLab_resnet_pretrained'
            '_imagenet.pth checkpoints/deeplabv2_r101_imagenet.pth --kind '
            'imagenet --plain') in msg
    # Present: nothing raised.
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / 'checkpoints' / 'deeplabv2_r101_imagenet.pth').write_bytes(
        b'x')
    check_pretrained_files(cfg)


def test_other_missing_pretrained_file_and_remote_urls(tmp_path):
    cfg = Config(dict(model=dict(backbone=dict(init_cfg=[
        dict(type='Pretrained', checkpoint='https://x/y.pth'),
        dict(type='Pretrained', checkpoint=str(tmp_path / 'mine.pth'))
    ]))))
    with pytest.raises(FileNotFoundError,
                       match=r'mine.pth not found \(model.backbone.init_cfg'
                       r'\[1\].checkpoint\)'):
        check_pretrained_files(cfg)
    cfg.model.backbone.init_cfg.pop()
    check_pretrained_files(cfg)  # remote files are MMEngine's business


def test_demo_configs_need_no_pretrained_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ('toy_syn2city_dda.py', 'toy_syn2city_selftrain.py',
                 'toy_syn2city_source_only.py'):
        check_pretrained_files(
            Config.fromfile(str(REPO / 'configs' / 'demo' / name)))


def test_train_tool_reports_missing_imagenet_checkpoint(tmp_path,
                                                        monkeypatch):
    """Through the real Runner of tools/train.py: the error names the
    conversion command before any weight is loaded."""
    from mmseg_dda.engine.runner.dda_runner import DDARunner
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(DDARunner.__bases__[0], '_init_model_weights',
                        lambda self: calls.append('init'))
    runner = DDARunner.__new__(DDARunner)
    runner.cfg = Config.fromfile(DDA_CFG)
    with pytest.raises(FileNotFoundError, match='--kind imagenet --plain'):
        runner._init_model_weights()
    assert calls == []
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / 'checkpoints' / 'deeplabv2_r101_imagenet.pth').write_bytes(
        b'x')
    runner._init_model_weights()
    assert calls == ['init']
