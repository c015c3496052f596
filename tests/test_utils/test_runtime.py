"""Set-up shared by the train and test tools (mmseg_dda.utils.runtime)."""
import argparse

from mmengine.config import Config

import mmseg_dda  # noqa: F401,I001  (compat shims before mmseg)
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
