"""Config deltas shared by two parents (mmseg_dda.utils.config_deltas)."""
from mmengine.config import Config

from mmseg_dda.utils.config_deltas import (PIPELINE_NAMES, data_cfgs_at_scale,
                                           pipelines_at_scale)

from _helpers import REPO

DATASETS = REPO / 'configs' / '_base_' / 'datasets'


def _base():
    return Config.fromfile(str(DATASETS / 'syn2map_1280x760.py'))


def test_pipelines_at_scale_changes_only_the_resize_scale():
    base = _base()
    cfgs = pipelines_at_scale(base, [640, 320])
    assert cfgs['input_scale'] == (640, 320)
    for name in PIPELINE_NAMES:
        assert len(cfgs[name]) == len(base[name])
        for new, old in zip(cfgs[name], base[name]):
            if old['type'] == 'ResizeWithPad':
                # keep_ratio / scale_label of the Mapillary base are kept.
                assert new == dict(old, scale=(640, 320))
                assert old['scale'] == (1280, 760)
            else:
                assert new == old
    # The base is not changed in place.
    assert _base().to_dict() == base.to_dict()


def test_data_cfgs_at_scale_puts_the_pipelines_in_place():
    cfgs = data_cfgs_at_scale(_base(), (640, 320), 'maps/small')
    assert cfgs['density_map_dir'] == 'maps/small'
    source = cfgs['train_dataloader']['dataset']['source']
    assert source == dict(density_map_dir='maps/small',
                          pipeline=cfgs['source_pipeline'])
    assert cfgs['train_dataloader']['dataset']['target'] == dict(
        pipeline=cfgs['target_pipeline'])
    assert cfgs['selftrain_dataset'] == dict(
        pipeline=cfgs['selftrain_pipeline'])
    assert cfgs['val_dataloader'] == cfgs['test_dataloader'] == dict(
        dataset=dict(pipeline=cfgs['test_pipeline']))


def test_a_config_using_a_delta_merges_and_dumps(tmp_path):
    """The delta merges into the base's loaders; the imported function is no
    config key, and the dumped config reads back the same."""
    cfg = Config.fromfile(str(DATASETS / 'syn2map_640x320.py'))
    assert 'data_cfgs_at_scale' not in cfg
    src = cfg.train_dataloader.dataset.source
    assert src.type == 'SynthiaDataset' and src.num_classes == 7
    assert src.density_map_dir == 'source_density_maps/c7small'
    assert cfg.val_dataloader.dataset.type == 'MapillaryUDADataset'
    resize = [t for t in cfg.val_dataloader.dataset.pipeline
              if t.type == 'ResizeWithPad']
    assert resize == [dict(type='ResizeWithPad', scale=(640, 320),
                           keep_ratio=True, scale_label=True)]
    dumped = tmp_path / 'dumped.py'
    cfg.dump(str(dumped))
    assert Config.fromfile(str(dumped)).to_dict() == cfg.to_dict()
