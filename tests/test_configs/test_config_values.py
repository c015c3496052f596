"""The shipped configs load, build and carry the values of docs/method.md.

Expected values are written out here from the specification (§1.3 sizes and
GMM sets, §5.3 class weights, §5.4 loss weights and LR_D, §6.1 optimisers
and schedule, §6.2/§9 evaluation protocols, §8 pseudo-labels and
self-training), not read from the configs under test.
"""
import mmseg_dda  # noqa: F401

import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmseg_dda.datasets.transforms.density import feature_grid_size
from mmseg_dda.density.gmm import load_gmm_params

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
ALL_CONFIGS = sorted(CONFIGS.rglob('*.py'))
LEAF_CONFIGS = [p for p in ALL_CONFIGS if '_base_' not in p.parts]

W16 = [0.327, 0.313, 0.206, 22.427, 22.558, 5.811, 155.643, 59.528, 0.586,
       0.882, 1.423, 12.871, 1.488, 3.955, 29.164, 27.563]
W7 = [0.349, 0.462, 11.576, 1.325, 1.993, 3.216, 3.192]
FULL, LOW = (1280, 760), (640, 320)
# name: C, GMM set, class weights, (seg_src, density_src, depth_src,
# adv_tgt, density_tgt), LR_D, input (W, H), target dataset, min_count
STAGE1 = {
    'syn2city_16cls': (16, 'c16', W16, (1.0, 0.01, 0.005, 0.05, 0.05), 1e-3,
                       FULL, 'CityscapesUDADataset',
                       [3165, 3311, 5000, 89, 89, 219, 50, 61, 1788, 1202,
                        762, 123, 730, 302, 78, 81]),
    'syn2city_7cls': (7, 'c7', W7, (1.0, 0.01, 0.005, 0.05, 0.05), 1e-3,
                      FULL, 'CityscapesUDADataset',
                      [1000, 772, 100, 316, 234, 173, 173]),
    'syn2city_7cls_small': (7, 'c7small', W7, (1.0, 0.01, 0.001, 0.05, 0.05),
                            1e-3, LOW, 'CityscapesUDADataset',
                            [1000, 772, 100, 316, 234, 173, 173]),
    'syn2map_7cls': (7, 'c7', None, (1.0, 0.005, 0.0001, 0.001, 0.001), 1e-4,
                     FULL, 'MapillaryUDADataset',
                     [100, 87, 50, 62, 57, 54, 54]),
    'syn2map_7cls_small': (7, 'c7small', None,
                           (1.0, 0.005, 0.0001, 0.001, 0.001), 1e-4, LOW,
                           'MapillaryUDADataset',
                           [100, 87, 50, 62, 57, 54, 54]),
}
LOSS_KEYS = ('seg_src', 'density_src', 'depth_src', 'adv_tgt', 'density_tgt')
# Self-training: stage-1 name -> MAX_ITERS_SELFTRAIN (§8.3).
SELFTRAIN_ITERS = {
    'syn2city_16cls': 30000,
    'syn2city_7cls': 10000,
    'syn2city_7cls_small': 30000,
    'syn2map_7cls': 30000,
    'syn2map_7cls_small': 30000,
}


def _load(name: str) -> Config:
    return Config.fromfile(str(CONFIGS / 'dda' / f'{name}.py'))


def _resize(pipeline) -> dict:
    (resize, ) = [t for t in pipeline if t['type'] == 'ResizeWithPad']
    return resize


def _check_poly(cfg: Config) -> None:
    """One PolyLR (power 0.9, min LR 0, iteration-based) for every
    optimiser, horizon 90000: MMEngine's PolyLR reaches eta_min at
    ``end - 1``, so ``end`` is 90001 (checked against the closed form in
    :func:`test_poly_schedule_matches_reference_closed_form`)."""
    (sched, ) = cfg.param_scheduler
    assert {k: v for k, v in sched.items() if k != 'end'} == dict(
        type='PolyLR', power=0.9, eta_min=0, begin=0, by_epoch=False)
    assert sched.end == 90001


# -- every config -------------------------------------------------------------
@pytest.mark.parametrize(
    'path', ALL_CONFIGS, ids=[str(p.relative_to(CONFIGS)) for p in
                              ALL_CONFIGS])
def test_config_loads(path):
    cfg = Config.fromfile(str(path))
    if '_base_' in path.parts:
        return
    assert cfg.default_scope == 'mmseg'
    assert 'mmseg_dda' in cfg.custom_imports['imports']
    assert cfg.randomness.seed == 1234


def _narrow(model_cfg: dict) -> dict:
    """The same model with a width-4 backbone and no pretrained weights."""
    model_cfg = copy.deepcopy(model_cfg)
    seg = model_cfg['segmentor'] if model_cfg['type'] == 'DDA' else model_cfg
    if seg['backbone']['type'] == 'MixVisionTransformer':
        # One block per stage, 4 channels per attention head.
        seg['backbone'].update(embed_dims=4, num_layers=[1, 1, 1, 1],
                               init_cfg=None)
        width = [4 * n for n in seg['backbone']['num_heads']]
    else:
        seg['backbone'].update(stem_channels=4, base_channels=4,
                               init_cfg=None)
        width = 4 * 8 * 4 if seg['backbone'].get('depth', 101) > 34 else 32
    for head in ('decode_head', 'depth_head', 'density_head'):
        if seg.get(head):
            seg[head]['in_channels'] = width
    if model_cfg['type'] == 'DDA':
        model_cfg['discriminator']['channels'] = (4, 4, 4, 4)
        params = model_cfg['density']['params']
        if str(params).endswith('.json'):  # demo: fitted by the demo run
            model_cfg['density']['params'] = 'c16'
    return model_cfg


@pytest.mark.parametrize(
    'path', LEAF_CONFIGS, ids=[str(p.relative_to(CONFIGS)) for p in
                               LEAF_CONFIGS])
def test_leaf_config_model_builds(path):
    """Registry names and cross-checks (classes of head, discriminator and
    GMM) hold for every leaf config; only the width is reduced."""
    cfg = Config.fromfile(str(path))
    init_default_scope('mmseg')
    model = MODELS.build(_narrow(cfg.model.to_dict()))
    assert isinstance(model, torch.nn.Module)


# -- stage 1 ------------------------------------------------------------------
@pytest.mark.parametrize('name', sorted(STAGE1))
def test_stage1_values(name):
    (num_classes, gmm_set, weights, lambdas, lr_d, scale, target,
     min_count) = STAGE1[name]
    cfg = _load(name)
    model = cfg.model
    seg = model.segmentor
    assert model.type == 'DDA'
    assert seg.type == 'DepthDensitySegmentor'
    assert seg.backbone.type == 'DeepLabV2ResNet'
    assert seg.backbone.depth == 101
    # ceil_mode, BN with frozen affine in train mode: class defaults (§2.1).
    assert 'ceil_mode' not in seg.backbone and 'norm_eval' not in seg.backbone
    assert seg.decode_head.type == 'DeepLabV2Head'
    assert seg.decode_head.num_classes == num_classes
    assert seg.decode_head.align_corners is True
    assert seg.decode_head.loss_decode.type == 'WeightedCrossEntropyLoss'
    assert seg.decode_head.loss_decode.class_weight == weights
    assert seg.depth_head.type == 'DepthHead'
    assert seg.density_head.type == 'DensityHead'
    assert model.discriminator.in_channels == num_classes
    assert model.density.params == gmm_set
    assert model.density.num_classes == num_classes
    assert tuple(model.loss_weights[k] for k in LOSS_KEYS) == lambdas
    assert model.adversarial_input == 'entropy_density'
    assert model.source_density_gather == 'pred'
    assert model.data_preprocessor.mean == [104.00698793, 116.66876762,
                                            122.67891434]
    assert model.data_preprocessor.std == [1.0, 1.0, 1.0]
    assert model.data_preprocessor.bgr_to_rgb is False
    assert cfg.model_wrapper_cfg == dict(
        type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=True)

    # Optimisers and schedule (§6.1).
    ow = cfg.optim_wrapper
    assert ow.constructor == 'MultiOptimWrapperConstructor'
    assert ow.segmentor.type == 'OptimWrapper'
    assert ow.segmentor.optimizer == dict(type='SGD', lr=2.5e-4, momentum=0.9,
                                          weight_decay=5e-4)
    assert 'paramwise_cfg' not in ow.segmentor  # one group, no 10x heads
    assert ow.discriminator.optimizer == dict(type='Adam', lr=lr_d,
                                              betas=(0.9, 0.99))
    _check_poly(cfg)
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=90000,
                                 val_interval=1000)
    assert cfg.default_hooks.checkpoint.interval == 1000
    assert cfg.default_hooks.checkpoint.save_best == 'mIoU'
    assert cfg.default_hooks.checkpoint.save_last is True

    # Data: batch 1 + 1, whole-image resizes, sizes of §1.3 / §6.2.
    ds = cfg.train_dataloader.dataset
    assert cfg.train_dataloader.batch_size == 1
    assert ds.type == 'SourceTargetDataset'
    assert ds.source.type == 'SynthiaDataset'
    assert ds.source.num_classes == num_classes
    assert ds.source.with_density_maps is True
    assert ds.target.type == target
    assert ds.target.num_classes == num_classes
    assert ds.target.with_labels is False  # §13.16
    assert cfg.input_scale == scale
    assert _resize(ds.source.pipeline) == dict(
        type='ResizeWithPad', scale=scale, keep_ratio=False)
    mapillary = target == 'MapillaryUDADataset'
    assert _resize(ds.target.pipeline) == dict(
        type='ResizeWithPad', scale=scale, keep_ratio=mapillary)
    # GMM set and input size agree: its grid is the feature grid (§2.4).
    grid = feature_grid_size((scale[1], scale[0]))
    assert load_gmm_params(gmm_set).grid_hw == grid
    assert grid == ((96, 161) if scale == FULL else (41, 81))
    assert ds.source.density_map_dir.endswith(gmm_set)

    # Evaluation protocol (§9): Cityscapes at the native GT resolution,
    # Mapillary at the padded input size.
    val = cfg.val_dataloader.dataset
    assert cfg.val_dataloader.batch_size == 1
    assert val.type == target and val.num_classes == num_classes
    assert val.split == ('validation' if mapillary else 'val')
    assert _resize(val.pipeline) == dict(
        type='ResizeWithPad', scale=scale, keep_ratio=mapillary,
        scale_label=mapillary)
    assert [t['type'] for t in val.pipeline].index('LoadMappedAnnotations') \
        < [t['type'] for t in val.pipeline].index('ResizeWithPad')
    assert cfg.test_dataloader == cfg.val_dataloader
    assert cfg.val_evaluator.type == 'UDAIoUMetric'
    subsets = cfg.val_evaluator.get('subsets')
    if num_classes == 16:
        assert subsets == {'mIoU*': dict(exclude=['wall', 'fence', 'pole'])}
    else:
        assert not subsets
    assert ('scale_label=True' in cfg.val_evaluator.protocol) == mapillary

    # Pseudo-labels (§8.1, §8.2).
    assert cfg.pseudo_label_cfg.threshold == 0.9
    assert cfg.pseudo_label_cfg.min_count == min_count
    if mapillary:
        assert cfg.pseudo_label_cfg.dataset.ann_file == 'selftrain'


# -- self-training ------------------------------------------------------------
@pytest.mark.parametrize('name', sorted(SELFTRAIN_ITERS))
def test_selftrain_values(name):
    num_classes, _, _, _, _, scale, target, _ = STAGE1[name]
    cfg = _load(f'{name}_selftrain')
    model = cfg.model
    # The plain segmentor: supervised loss only, no discriminator.
    assert model.type == 'DepthDensitySegmentor'
    assert model.decode_head.num_classes == num_classes
    assert model.decode_head.loss_decode.type == 'WeightedCrossEntropyLoss'
    assert model.decode_head.loss_decode.class_weight is None  # unweighted
    assert model.backbone.init_cfg is None
    assert cfg.load_from  # starts from the stage-1 weights
    # A fresh SGD, one group, poly horizon 90000 (§13.11).
    assert cfg.optim_wrapper == dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9,
                       weight_decay=5e-4))
    _check_poly(cfg)  # horizon 90000, not the self-training length
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop',
                                 max_iters=SELFTRAIN_ITERS[name],
                                 val_interval=1000)
    # Target only, with the STEP-3 pseudo-labels.
    ds = cfg.train_dataloader.dataset
    assert cfg.train_dataloader.batch_size == 1
    assert ds.type == target and ds.num_classes == num_classes
    assert ds.pseudo_label_dir
    assert ds.ann_file == ('selftrain' if target == 'MapillaryUDADataset'
                           else 'train')
    assert _resize(ds.pipeline)['scale'] == scale
    assert cfg.val_dataloader.dataset.type == target
    assert cfg.val_dataloader.dataset.num_classes == num_classes


# -- ablations ----------------------------------------------------------------
def _diff(a, b, prefix=''):
    """Dotted keys whose values differ between two plain dicts."""
    keys = set(a) | set(b)
    out = set()
    for k in keys:
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out |= _diff(va, vb, f'{prefix}{k}.')
        elif va != vb:
            out.add(f'{prefix}{k}')
    return out


ABLATIONS = {
    'adv_entropy': {'model.adversarial_input': 'entropy'},
    'adv_entropy_depth': {'model.adversarial_input': 'entropy_depth'},
    'frozen_bn': {'model.segmentor.backbone.norm_eval': True},
    'head_lr10': {
        'optim_wrapper.segmentor.paramwise_cfg': dict(custom_keys={
            'decode_head': dict(lr_mult=10.0),
            'depth_head': dict(lr_mult=10.0),
            'density_head': dict(lr_mult=10.0)})},
    'no_density_losses': {'model.loss_weights.density_src': 0.0,
                          'model.loss_weights.density_tgt': 0.0},
    'no_src_density': {'model.loss_weights.density_src': 0.0},
    'no_tgt_density': {'model.loss_weights.density_tgt': 0.0},
    'src_density_gt_class': {'model.source_density_gather': 'gt'},
}


def _get(cfg: dict, dotted: str):
    for part in dotted.split('.'):
        cfg = cfg[part]
    return cfg


@pytest.mark.parametrize('name', sorted(ABLATIONS))
def test_ablation_changes_only_its_switch(name):
    base = _load('syn2city_16cls').to_dict()
    abl = Config.fromfile(
        str(CONFIGS / 'dda' / 'ablations' / f'syn2city_16cls_{name}.py'))
    abl = abl.to_dict()
    assert _diff(base, abl) == set(ABLATIONS[name])
    for key, value in ABLATIONS[name].items():
        assert _get(abl, key) == value


def test_onthefly_density_ablation():
    base = _load('syn2city_16cls')
    cfg = Config.fromfile(
        str(CONFIGS / 'dda' / 'ablations' /
            'syn2city_16cls_onthefly_density.py'))
    src = cfg.train_dataloader.dataset.source
    assert src.with_density_maps is False
    types = [t['type'] for t in src.pipeline]
    assert 'LoadSourceDensityMaps' not in types
    (compute, ) = [t for t in src.pipeline
                   if t['type'] == 'ComputeSourceDensityMaps']
    # Same GMM set and grid as the precomputed maps, computed before the
    # resize from the native-resolution label and depth (§3.4).
    assert compute == dict(type='ComputeSourceDensityMaps', gmm='c16',
                           scale=FULL)
    assert types.index('ComputeSourceDensityMaps') < types.index(
        'ResizeWithPad')
    assert cfg.model == base.model and cfg.optim_wrapper == base.optim_wrapper


# -- schedule -----------------------------------------------------------------
@pytest.mark.parametrize('name', ['syn2city_16cls', 'syn2city_7cls_selftrain'])
def test_poly_schedule_matches_reference_closed_form(name):
    from mmengine.optim.scheduler import PolyLR
    cfg = _load(name)
    (sched, ) = copy.deepcopy(cfg.param_scheduler)
    sched.pop('type')
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=2.5e-4)
    scheduler = PolyLR(optimizer, **sched)
    for i in range(12):
        expected = 2.5e-4 * (1 - i / 90000)**0.9
        # The two horizons differ by 1e-11 relative at i = 1; the recursive
        # float64 update is exact to ~1e-15 over a few steps.
        assert optimizer.param_groups[0]['lr'] == pytest.approx(
            expected, rel=1e-13, abs=0), i
        optimizer.step()
        scheduler.step()
