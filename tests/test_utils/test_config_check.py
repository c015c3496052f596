"""Unknown keys in the project's own config sections are refused."""
import glob
import re

import pytest
from mmengine.config import Config

import mmseg_dda  # noqa: F401
from mmseg_dda.utils.config_check import (UnknownConfigKeyError,
                                          check_config_keys)

from _helpers import REPO, load_tool

DEMO = str(REPO / 'configs' / 'demo' / 'toy_syn2city_dda.py')

# (--cfg-options entry, section named in the error, unknown key, a known key)
TYPOS = [
    ({'pseudo_label_cfg.treshold': 0.5}, 'pseudo_label_cfg', 'treshold',
     'threshold'),
    ({'model.loss_weights.adv_tgtt': 0.1}, 'model.loss_weights', 'adv_tgtt',
     'adv_tgt'),
    ({'model.density.parms': 'c16'}, 'model.density (GMMDensity)', 'parms',
     'params'),
    ({'default_hooks.visualization': dict(type='DDAVisualizationHook',
                                          show_dir='v', drw=True)},
     'default_hooks.visualization (DDAVisualizationHook)', 'drw', 'draw'),
    ({'model.discriminator.chanels': [4, 4]},
     'model.discriminator (FCDiscriminator)', 'chanels', 'channels'),
    ({'model.segmentor.density_head.proj_chanels': 4},
     'model.segmentor.density_head (DensityHead)', 'proj_chanels',
     'proj_channels'),
    ({'train_dataloader.dataset.source.density_map_dri': 'x'},
     'train_dataloader.dataset.source (SynthiaDataset)', 'density_map_dri',
     'density_map_dir'),
    ({'test_evaluator.protocl': 'x'}, 'test_evaluator (UDAIoUMetric)',
     'protocl', 'protocol'),
    ({'custom_hooks': [dict(type='NaNLossGuardHook', kyes=['loss'])]},
     'custom_hooks.0 (NaNLossGuardHook)', 'kyes', 'keys'),
]


@pytest.mark.parametrize('option,section,key,known', TYPOS,
                         ids=[t[2] for t in TYPOS])
def test_unknown_key_is_refused(option, section, key, known):
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict(option)
    with pytest.raises(UnknownConfigKeyError) as info:
        check_config_keys(cfg.to_dict())
    msg = str(info.value)
    assert msg.startswith(f'{section}: unknown key {key!r}; known keys: ')
    assert re.search(rf'\b{known}\b', msg.split('known keys: ')[1])


def test_shipped_configs_pass():
    names = [p for p in glob.glob(str(REPO / 'configs' / '**' / '*.py'),
                                  recursive=True) if '_base_' not in p]
    assert len(names) > 10
    for name in names:
        check_config_keys(Config.fromfile(name).to_dict())


def test_tools_refuse_typos(tmp_path, monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '0')
    train = load_tool('train')
    args = train.parse_args([DEMO, '--work-dir', str(tmp_path),
                             '--cfg-options', 'pseudo_label_cfg.treshold=0.5'])
    with pytest.raises(UnknownConfigKeyError, match="'treshold'"):
        train.load_config(args)
    gen = load_tool('gen_pseudo_labels')
    with pytest.raises(UnknownConfigKeyError,
                       match="pseudo_label_cfg: unknown key 'treshold'"):
        gen.main([DEMO, 'unused.pth', '--out', str(tmp_path / 'pl'),
                  '--cfg-options', 'pseudo_label_cfg.treshold=0.5'])
