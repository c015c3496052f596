"""The MiT-B5 and ResNet-V1c configs: values, optimiser conventions, schedule.

Expected values are written out here: MiT-B5's layout as in MMSeg's
``configs/segformer/segformer_mit-b5_*`` and the optimiser of that family
(MMSeg SegFormer and DAFormer: AdamW lr 6e-5, betas (0.9, 0.999), weight decay
0.01, ``head`` x10 LR, no decay on ``norm`` / ``pos_block``, linear warm-up
over 1500 iterations from 1e-6 x LR, then poly with power 1.0 to 0); DDA's
loss weights, class weights, discriminator and data of SYNTHIA -> Cityscapes
16 classes.
"""
import mmseg_dda  # noqa: F401

import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.optim.scheduler import LinearLR, PolyLR
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'dda'
W16 = [0.327, 0.313, 0.206, 22.427, 22.558, 5.811, 155.643, 59.528, 0.586,
       0.882, 1.423, 12.871, 1.488, 3.955, 29.164, 27.563]
MIT_CHANNELS = [64, 128, 320, 512]
IMAGENET_RGB = dict(mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
ADAMW = dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01)
PARAMWISE = dict(custom_keys={'head': dict(lr_mult=10.0),
                              'pos_block': dict(decay_mult=0.0),
                              'norm': dict(decay_mult=0.0)})


def _load(name: str) -> Config:
    return Config.fromfile(str(CONFIGS / f'{name}.py'))


def _check_mit_segmentor(seg):
    assert seg.type == 'DepthDensitySegmentor'
    bb = seg.backbone
    assert bb.type == 'MixVisionTransformer'
    assert (bb.embed_dims, bb.num_layers, bb.num_heads, bb.patch_sizes,
            bb.sr_ratios, bb.mlp_ratio, bb.drop_path_rate) == (
                64, [3, 6, 40, 3], [1, 2, 5, 8], [7, 3, 3, 3], [8, 4, 2, 1],
                4, 0.1)
    assert bb.out_indices == (0, 1, 2, 3) and bb.qkv_bias is True
    head = seg.decode_head
    assert head.type == 'SegformerHead' and head.num_classes == 16
    assert head.in_channels == MIT_CHANNELS
    assert head.in_index == [0, 1, 2, 3] and head.channels == 256
    assert head.dropout_ratio == 0.1 and head.align_corners is False
    assert head.loss_decode.type == 'WeightedCrossEntropyLoss'
    for name in ('depth_head', 'density_head'):
        h = seg[name]
        assert (h.in_channels, h.in_index, h.input_transform) == (
            MIT_CHANNELS, [0, 1, 2, 3], 'resize_concat'), name
        assert (h.channels, h.proj_channels) == (256, 128)
        assert h.loss_decode == dict(type='BerHuLoss', loss_weight=1.0)


def test_mit_b5_stage1_values():
    cfg = _load('syn2city_16cls_mit-b5')
    base = _load('syn2city_16cls')
    model = cfg.model
    assert model.type == 'DDA'
    _check_mit_segmentor(model.segmentor)
    seg = model.segmentor
    assert seg.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='checkpoints/mit_b5_mmseg.pth')
    assert seg.decode_head.loss_decode.class_weight == W16
    for key, value in IMAGENET_RGB.items():
        assert model.data_preprocessor[key] == value
        assert seg.data_preprocessor[key] == value
    # DDA's parts are those of the DeepLab-v2 config (expid 1).
    for key in ('discriminator', 'loss_weights', 'adversarial_input',
                'source_density_gather'):
        assert model[key] == base.model[key], key
    assert model.density == dict(
        type='GMMDensity', num_classes=16,
        params='work_dirs/gmm/syn2city_16cls_mit-b5.json')
    assert cfg.model_wrapper_cfg == base.model_wrapper_cfg
    assert dict(type='DensityGridCheckHook') in cfg.custom_hooks
    assert cfg.pseudo_label_cfg == base.pseudo_label_cfg
    # Same data, with the maps of this grid in their own folder.
    src = cfg.train_dataloader.dataset.source
    assert src.density_map_dir == 'source_density_maps/mit-b5_190x320'
    data = copy.deepcopy(cfg.train_dataloader)
    data.dataset.source.density_map_dir = \
        base.train_dataloader.dataset.source.density_map_dir
    assert data == base.train_dataloader
    assert cfg.val_dataloader == base.val_dataloader
    assert cfg.val_evaluator == base.val_evaluator


def test_mit_b5_optimisers():
    cfg = _load('syn2city_16cls_mit-b5')
    ow = cfg.optim_wrapper
    assert ow.constructor == 'MultiOptimWrapperConstructor'
    assert ow.segmentor.optimizer == ADAMW
    assert ow.segmentor.paramwise_cfg == PARAMWISE
    assert ow.discriminator.optimizer == dict(type='Adam', lr=1e-3,
                                              betas=(0.9, 0.99))
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=90000,
                                 val_interval=1000)


def test_paramwise_cfg_reaches_each_submodule():
    """Built on a narrow MiT: every head parameter at 10x LR, the backbone at
    the base LR, norms without weight decay; D keeps its own Adam."""
    cfg = _load('syn2city_16cls_mit-b5')
    model_cfg = cfg.model.to_dict()
    seg = model_cfg['segmentor']
    seg['backbone'].update(embed_dims=4, num_layers=[1, 1, 1, 1],
                           init_cfg=None)
    for head in ('decode_head', 'depth_head', 'density_head'):
        seg[head]['in_channels'] = [4, 8, 20, 32]
    model_cfg['discriminator']['channels'] = (4, 4, 4, 4)
    model_cfg['density']['params'] = 'c16'
    init_default_scope('mmseg')
    model = MODELS.build(model_cfg)
    wrappers = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    names = {id(p): n for n, p in model.segmentor.named_parameters()}
    seen = set()
    for group in wrappers['segmentor'].optimizer.param_groups:
        for p in group['params']:
            name = names[id(p)]
            seen.add(name)
            head = '_head.' in name
            assert group['lr'] == pytest.approx(6e-4 if head else 6e-5), name
            if 'norm' in name:
                assert group['weight_decay'] == 0.0, name
            elif not head:
                assert group['weight_decay'] == 0.01, name
    assert any('depth_head' in n for n in seen)
    assert any('density_head' in n for n in seen)
    assert any('backbone.layers.0.1.0.norm1' in n for n in seen)
    (d_group, ) = wrappers['discriminator'].optimizer.param_groups
    assert d_group['lr'] == 1e-3 and d_group['betas'] == (0.9, 0.99)


def _lrs(schedulers_cfg, base_lr, iters):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr)
    scheds = []
    for s in copy.deepcopy(schedulers_cfg):
        cls = dict(LinearLR=LinearLR, PolyLR=PolyLR)[s.pop('type')]
        scheds.append(cls(opt, **s))
    out = []
    for _ in range(iters):
        out.append(opt.param_groups[0]['lr'])
        opt.step()
        for s in scheds:
            s.step()
    return out


def test_mit_b5_schedule_closed_form():
    """Warm-up lr_i = lr (1e-6 + (1 - 1e-6) i / 1499) for i < 1500 (MMEngine's
    LinearLR reaches its end factor at ``end - 1``), then
    lr_i = lr (1 - (i - 1500) / 88500) (poly, power 1, 0 at 90000)."""
    cfg = _load('syn2city_16cls_mit-b5')
    sched = cfg.param_scheduler
    assert sched.segmentor[0] == dict(type='LinearLR', start_factor=1e-6,
                                      by_epoch=False, begin=0, end=1500)
    assert sched.segmentor[1] == dict(type='PolyLR', power=1.0, eta_min=0.0,
                                      begin=1500, end=90001, by_epoch=False)
    assert sched.discriminator == [
        dict(type='PolyLR', power=0.9, eta_min=0, begin=0, end=90001,
             by_epoch=False)]
    lrs = _lrs(sched.segmentor, 6e-5, 1600)
    for i in (0, 1, 750, 1499):
        assert lrs[i] == pytest.approx(
            6e-5 * (1e-6 + (1 - 1e-6) * i / 1499), rel=1e-9), i
    for i in (1500, 1501, 1599):
        assert lrs[i] == pytest.approx(6e-5 * (1 - (i - 1500) / 88500),
                                       rel=1e-9), i
    d = _lrs(sched.discriminator, 1e-3, 3)
    assert d[2] == pytest.approx(1e-3 * (1 - 2 / 90000)**0.9, rel=1e-12)


def test_mit_b5_selftrain_values():
    cfg = _load('syn2city_16cls_mit-b5_selftrain')
    base = _load('syn2city_16cls_selftrain')
    _check_mit_segmentor(cfg.model)
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.decode_head.loss_decode.class_weight is None
    # The stage-1 checkpoint of the same family, as in the DeepLab-v2 pair.
    assert cfg.load_from == base.load_from.replace(
        'work_dirs/syn2city_16cls/', 'work_dirs/syn2city_16cls_mit-b5/')
    assert cfg.optim_wrapper == dict(type='OptimWrapper', optimizer=ADAMW,
                                     paramwise_cfg=PARAMWISE)
    assert cfg.param_scheduler == [
        dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
             end=1500),
        dict(type='PolyLR', power=1.0, eta_min=0.0, begin=1500, end=30001,
             by_epoch=False)
    ]
    assert cfg.train_cfg.max_iters == 30000
    ds, ref = cfg.train_dataloader.dataset, base.train_dataloader.dataset
    assert ds.pipeline == ref.pipeline
    assert ds.pseudo_label_dir == \
        'work_dirs/syn2city_16cls_mit-b5/pseudo_labels'
    assert {k: v for k, v in ds.items() if k != 'pseudo_label_dir'} == \
        {k: v for k, v in ref.items() if k != 'pseudo_label_dir'}


def test_r101v1c_differs_only_in_backbone_and_its_grid():
    cfg = _load('syn2city_16cls_r101v1c')
    base = _load('syn2city_16cls')
    seg = cfg.model.segmentor
    assert seg.backbone == dict(
        type='ResNetV1c', depth=101, num_stages=4, out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1),
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
        style='pytorch', contract_dilation=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint='open-mmlab://resnet101_v1c'))
    for head in ('decode_head', 'depth_head', 'density_head'):
        assert seg[head].in_index == 3
        expected = dict(base.model.segmentor[head], in_index=3)
        assert seg[head] == expected, head
    for key, value in IMAGENET_RGB.items():
        assert cfg.model.data_preprocessor[key] == value
    assert cfg.model.density.params == \
        'work_dirs/gmm/syn2city_16cls_r101v1c.json'
    assert cfg.optim_wrapper == base.optim_wrapper
    assert cfg.param_scheduler == base.param_scheduler
    for key in ('discriminator', 'loss_weights'):
        assert cfg.model[key] == base.model[key]
    assert cfg.train_dataloader.dataset.source.density_map_dir == \
        'source_density_maps/r101v1c_95x160'
    assert dict(type='DensityGridCheckHook') in cfg.custom_hooks
