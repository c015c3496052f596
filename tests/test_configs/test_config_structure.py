"""Every leaf config states each fact once and its parts agree.

The leaf configs under ``configs/dda`` take the task (target, class count,
input size) from one dataset base and state the rest as a row of the paper's
table. These tests pin that row for every leaf (written out here, not read
from the configs) and check that the values the inheritance spreads over the
config agree: one class count, one input size, one self-training set derived
from the stage-1 target.
"""
import mmseg_dda  # noqa: F401

from pathlib import Path

import pytest
from mmengine.config import Config

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
DDA_LEAVES = sorted(p for p in (CONFIGS / 'dda').rglob('*.py'))
FULL, LOW = (1280, 760), (640, 320)
CITY, MAP = 'CityscapesUDADataset', 'MapillaryUDADataset'
MIT_GMM = 'work_dirs/gmm/syn2city_16cls_mit-b5.json'
V1C_GMM = 'work_dirs/gmm/syn2city_16cls_r101v1c.json'
# leaf: (classes, input (W, H), target, backbone, GMM set (None: no DDA),
# iterations)
ROWS = {
    'syn2city_16cls': (16, FULL, CITY, 'DeepLabV2ResNet', 'c16', 90000),
    'syn2city_7cls': (7, FULL, CITY, 'DeepLabV2ResNet', 'c7', 90000),
    'syn2city_7cls_small': (7, LOW, CITY, 'DeepLabV2ResNet', 'c7small',
                            90000),
    'syn2map_7cls': (7, FULL, MAP, 'DeepLabV2ResNet', 'c7', 90000),
    'syn2map_7cls_small': (7, LOW, MAP, 'DeepLabV2ResNet', 'c7small',
                           90000),
    'syn2city_16cls_mit-b5': (16, FULL, CITY, 'MixVisionTransformer',
                              MIT_GMM, 90000),
    'syn2city_16cls_r101v1c': (16, FULL, CITY, 'ResNetV1c', V1C_GMM, 90000),
    'syn2city_16cls_selftrain': (16, FULL, CITY, 'DeepLabV2ResNet', None,
                                 30000),
    'syn2city_7cls_selftrain': (7, FULL, CITY, 'DeepLabV2ResNet', None,
                                10000),
    'syn2city_7cls_small_selftrain': (7, LOW, CITY, 'DeepLabV2ResNet', None,
                                      30000),
    'syn2map_7cls_selftrain': (7, FULL, MAP, 'DeepLabV2ResNet', None, 30000),
    'syn2map_7cls_small_selftrain': (7, LOW, MAP, 'DeepLabV2ResNet', None,
                                     30000),
    'syn2city_16cls_mit-b5_selftrain': (16, FULL, CITY,
                                        'MixVisionTransformer', None, 30000),
}
ABLATIONS = sorted(p.stem for p in (CONFIGS / 'dda' / 'ablations').glob('*.py'))


def _ids(paths):
    return [str(p.relative_to(CONFIGS)) for p in paths]


def _segmentor(cfg):
    return cfg.model.segmentor if cfg.model.type == 'DDA' else cfg.model


def _train_datasets(cfg) -> dict:
    ds = cfg.train_dataloader.dataset
    if ds.type == 'SourceTargetDataset':
        return {'train source': ds.source, 'train target': ds.target}
    return {'train': ds}


def test_every_leaf_has_a_row():
    leaves = {p.stem for p in DDA_LEAVES if p.parent.name == 'dda'}
    assert leaves == set(ROWS)
    assert all(name.startswith('syn2city_16cls_') for name in ABLATIONS)


@pytest.mark.parametrize('name', sorted(ROWS))
def test_leaf_row(name):
    """Task, classes, input size, backbone, GMM set and iterations."""
    classes, scale, target, backbone, gmm, iters = ROWS[name]
    cfg = Config.fromfile(str(CONFIGS / 'dda' / f'{name}.py'))
    assert cfg.num_classes == classes
    assert cfg.input_scale == scale
    assert _segmentor(cfg).backbone.type == backbone
    assert list(_train_datasets(cfg).values())[-1].type == target
    assert cfg.val_dataloader.dataset.type == target
    assert cfg.train_cfg.max_iters == iters
    assert (cfg.model.type == 'DDA') == (gmm is not None)
    if gmm is not None:
        assert cfg.model.density.params == gmm
        assert cfg.train_dataloader.dataset.type == 'SourceTargetDataset'
    else:  # self-training: target only, with pseudo-labels
        assert cfg.train_dataloader.dataset.pseudo_label_dir == (
            f'work_dirs/{name[:-len("_selftrain")]}/pseudo_labels')
        assert cfg.load_from == (
            f'work_dirs/{name[:-len("_selftrain")]}/iter_90000.pth')


@pytest.mark.parametrize('path', DDA_LEAVES, ids=_ids(DDA_LEAVES))
def test_one_class_count(path):
    """Model, discriminator, GMM prior, every dataset, class weights and
    pseudo-label sizes use the config's ``num_classes``."""
    cfg = Config.fromfile(str(path))
    n = cfg.num_classes
    seg = _segmentor(cfg)
    counts = {'decode_head': seg.decode_head.num_classes,
              'val': cfg.val_dataloader.dataset.num_classes,
              'test': cfg.test_dataloader.dataset.num_classes,
              'selftrain_dataset': cfg.selftrain_dataset.num_classes}
    for name, ds in _train_datasets(cfg).items():
        counts[name] = ds.num_classes
    weight = seg.decode_head.loss_decode.class_weight
    if weight is not None:
        counts['class_weight'] = len(weight)
    if cfg.model.type == 'DDA':
        counts['discriminator'] = cfg.model.discriminator.in_channels
        counts['density'] = cfg.model.density.num_classes
    plc = cfg.get('pseudo_label_cfg')
    if plc:
        counts['min_count'] = len(plc.min_count)
        if 'dataset' in plc:
            counts['pseudo_label_cfg.dataset'] = plc.dataset.num_classes
    assert counts == {k: n for k in counts}
    # mIoU* (without wall, fence, pole) exists in the 16-class setting only.
    assert bool(cfg.val_evaluator.get('subsets')) == (n == 16)


def _resizes(pipeline):
    return [t for t in pipeline if t['type'] == 'ResizeWithPad']


@pytest.mark.parametrize('path', DDA_LEAVES, ids=_ids(DDA_LEAVES))
def test_one_input_size(path):
    """Every pipeline resizes to ``input_scale``; the target, evaluation and
    self-training pipelines agree on keeping the aspect ratio."""
    cfg = Config.fromfile(str(path))
    pipelines = {
        'source': cfg.source_pipeline, 'target': cfg.target_pipeline,
        'test': cfg.test_pipeline, 'selftrain': cfg.selftrain_pipeline,
        'val dataset': cfg.val_dataloader.dataset.pipeline,
        'selftrain dataset': cfg.selftrain_dataset.pipeline,
    }
    for name, ds in _train_datasets(cfg).items():
        pipelines[name] = ds.pipeline
    for name, pipeline in pipelines.items():
        (resize, ) = _resizes(pipeline)
        assert resize['scale'] == cfg.input_scale, name
    keep = {name: _resizes(p)[0]['keep_ratio']
            for name, p in pipelines.items() if 'source' not in name}
    mapillary = cfg.val_dataloader.dataset.type == MAP
    assert keep == {name: mapillary for name in keep}
    assert _resizes(cfg.source_pipeline)[0]['keep_ratio'] is False


@pytest.mark.parametrize('path', DDA_LEAVES, ids=_ids(DDA_LEAVES))
def test_selftrain_set_is_the_stage1_target(path):
    """STEP 4 trains on the stage-1 target images, with the target's resize
    and the pseudo-labels loaded after it."""
    cfg = Config.fromfile(str(path))
    st = cfg.selftrain_dataset
    target = cfg.target_pipeline
    assert cfg.selftrain_pipeline == [
        *target[:-1], dict(type='LoadMappedAnnotations'), target[-1]]
    assert st.pipeline == cfg.selftrain_pipeline
    val = cfg.val_dataloader.dataset
    assert (st.type, st.data_root, st.split) == (val.type, val.data_root,
                                                  'train')
    assert st.ann_file == ('selftrain' if st.type == MAP else 'train')
    if cfg.model.type == 'DDA':
        stage1 = cfg.train_dataloader.dataset.target
        assert {k: v for k, v in stage1.items()
                if k not in ('with_labels', 'ann_file', 'pipeline')} == {
                    k: v for k, v in st.items()
                    if k not in ('ann_file', 'pipeline')}
    else:
        ds = cfg.train_dataloader.dataset
        assert {k: v for k, v in ds.items() if k != 'pseudo_label_dir'} == st
