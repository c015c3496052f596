"""Set-up shared by the train and test tools (mmseg_dda.utils.runtime)."""
import argparse

from mmengine.config import Config

import mmseg_dda  # noqa: F401
from mmseg_dda.utils.runtime import ensure_plain_checkpoints, load_config

from _helpers import REPO

DDA_CFG = str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py')


def test_plain_checkpoint_hook_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '0')
    args = argparse.Namespace(
        config=DDA_CFG, launcher='none', work_dir=str(tmp_path),
        local_rank=0, cfg_options={'custom_hooks': [
            dict(type='NaNLossGuardHook')]})
    cfg = load_config(args)
    assert cfg.custom_hooks == [dict(type='NaNLossGuardHook'),
                                dict(type='PlainCheckpointHook')]
    cfg = Config(dict(custom_hooks=[dict(type='PlainCheckpointHook')]))
    ensure_plain_checkpoints(cfg)
    assert cfg.custom_hooks == [dict(type='PlainCheckpointHook')]


def test_read_config_is_the_tools_loader(tmp_path):
    """One loader for every tool: path check, overrides, key typos."""
    import pytest

    from mmseg_dda.utils.config_check import UnknownConfigKeyError
    from mmseg_dda.utils.runtime import read_config
    missing = str(tmp_path / 'nope.py')
    with pytest.raises(FileNotFoundError,
                       match=f'config file {missing} does not exist'):
        read_config(missing)
    cfg = read_config(DDA_CFG, {'train_cfg.max_iters': 7})
    assert cfg.train_cfg.max_iters == 7 and cfg.filename == DDA_CFG
    with pytest.raises(UnknownConfigKeyError, match="'treshold'"):
        read_config(DDA_CFG, {'pseudo_label_cfg.treshold': 0.5})
