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


@pytest.mark.parametrize('options,message', [
    ({'train_cfg.max_iters': 'abc'}, "--cfg-options train_cfg.max_iters="
     "'abc': expected an integer (the config has 90000), got text"),
    ({'train_cfg.max_iters': 1.5}, '--cfg-options train_cfg.max_iters=1.5: '
     'expected an integer (the config has 90000), got a number'),
    ({'model.loss_weights.seg_src': 'x'}, "--cfg-options model.loss_weights"
     ".seg_src='x': expected a number (the config has 1.0), got text"),
    ({'model.density': 3}, '--cfg-options model.density=3: expected a '
     'section (dict) (as in the config), got an integer'),
    ({'model.segmentor.decode_head.loss_decode.class_weight': ['a', 'b']},
     '--cfg-options model.segmentor.decode_head.loss_decode.class_weight='
     "['a', 'b']: expected a list of numbers (as in the config), got a "
     'list'),
])
def test_typed_cfg_options(options, message):
    from mmseg_dda.utils.config_check import ConfigValueTypeError
    from mmseg_dda.utils.runtime import read_config
    with pytest.raises(ConfigValueTypeError) as exc:
        read_config(str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py'),
                    options)
    assert str(exc.value) == message


def test_typed_cfg_options_accept_fitting_values():
    from mmseg_dda.utils.runtime import read_config
    cfg = read_config(str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py'), {
        'train_cfg.max_iters': 10, 'optim_wrapper.optimizer.lr': 1,
        'model.loss_weights.seg_src': 2, 'work_dir': 'w', 'new_key': 'x'})
    assert cfg.train_cfg.max_iters == 10
    assert cfg.optim_wrapper.optimizer.lr == 1


def test_loss_weights_in_a_config_file_must_be_numbers(tmp_path):
    from mmseg_dda.utils.config_check import ConfigValueTypeError
    cfg = Config.fromfile(str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py'))
    cfg.model.loss_weights['adv_tgt'] = '0.001'
    with pytest.raises(ConfigValueTypeError,
                       match=r"^model\.loss_weights\.adv_tgt: expected a "
                       r"finite number, got '0\.001'$"):
        check_config_keys(cfg.to_dict())
