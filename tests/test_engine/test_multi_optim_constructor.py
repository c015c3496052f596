"""Tests of MultiOptimWrapperConstructor and the poly LR (§6.1, §13.24)."""
import mmseg_dda  # noqa: F401
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch.utils.data import Dataset

SEG_LR, D_LR = 2.5e-4, 1e-3


class TinyUDA(BaseModel):
    """Two submodules; records the LR of both optimisers at each step."""

    def __init__(self):
        super().__init__()
        self.segmentor = nn.Module()
        self.segmentor.backbone = nn.Conv2d(1, 2, 1)
        self.segmentor.bn = nn.BatchNorm2d(2)
        self.segmentor.bn.requires_grad_(False)  # frozen like §2.1
        self.segmentor.decode_head = nn.Conv2d(2, 1, 1)
        self.discriminator = nn.Conv2d(1, 1, 1)
        self.lrs = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return inputs

    def train_step(self, data, optim_wrapper):
        x = torch.stack(data['inputs'])
        seg, disc = optim_wrapper['segmentor'], optim_wrapper['discriminator']
        # The LR actually used by this iteration's step.
        self.lrs.append((seg.optimizer.param_groups[0]['lr'],
                         disc.optimizer.param_groups[0]['lr']))
        loss_g = self.segmentor.decode_head(
            self.segmentor.bn(self.segmentor.backbone(x))).mean()
        seg.update_params(loss_g)
        loss_d = self.discriminator(x).mean()
        disc.update_params(loss_d)
        return dict(loss=loss_g.detach() + loss_d.detach())


class TinyData(Dataset):

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return dict(inputs=torch.ones(1, 2, 2))


def optim_cfg(**seg_extra):
    return dict(
        constructor='MultiOptimWrapperConstructor',
        segmentor=dict(
            type='OptimWrapper',
            optimizer=dict(
                type='SGD', lr=SEG_LR, momentum=0.9, weight_decay=5e-4),
            **seg_extra),
        discriminator=dict(
            type='OptimWrapper',
            optimizer=dict(type='Adam', lr=D_LR, betas=(0.9, 0.99))))


def test_builds_one_wrapper_per_submodule_without_frozen_params():
    init_default_scope('mmseg')
    model = TinyUDA()
    ow = build_optim_wrapper(model, optim_cfg())
    assert isinstance(ow, OptimWrapperDict)
    assert set(ow.keys()) == {'segmentor', 'discriminator'}
    seg_opt = ow['segmentor'].optimizer
    assert isinstance(seg_opt, torch.optim.SGD)
    assert isinstance(ow['discriminator'].optimizer, torch.optim.Adam)
    seg_params = [p for g in seg_opt.param_groups for p in g['params']]
    assert len(seg_params) == 4  # backbone and head weight + bias, no BN
    assert not any(p is model.segmentor.bn.weight for p in seg_params)
    assert ow['discriminator'].optimizer.param_groups[0]['betas'] == (0.9,
                                                                      0.99)


def test_paramwise_cfg_per_submodule():
    init_default_scope('mmseg')
    model = TinyUDA()
    ow = build_optim_wrapper(
        model,
        optim_cfg(paramwise_cfg=dict(
            custom_keys={'decode_head': dict(lr_mult=10.)})))
    groups = ow['segmentor'].optimizer.param_groups
    head = [g['lr'] for g in groups
            if any(p is model.segmentor.decode_head.weight
                   for p in g['params'])]
    body = [g['lr'] for g in groups
            if any(p is model.segmentor.backbone.weight for p in g['params'])]
    assert head == [pytest.approx(10 * SEG_LR)]
    assert body == [pytest.approx(SEG_LR)]
    assert ow['discriminator'].optimizer.param_groups[0]['lr'] == D_LR


def test_bad_configs():
    init_default_scope('mmseg')
    model = TinyUDA()
    cfg = optim_cfg()
    cfg['generator'] = cfg.pop('segmentor')
    with pytest.raises(KeyError, match="no submodule 'generator'"):
        build_optim_wrapper(model, cfg)
    cfg = optim_cfg()
    cfg['paramwise_cfg'] = dict(norm_decay_mult=0.)
    with pytest.raises(ValueError, match='each of'):
        build_optim_wrapper(model, cfg)


def test_poly_lr_applies_to_both_optimisers(tmp_path):
    model = TinyUDA()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=TinyData(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=1,
            num_workers=0,
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        optim_wrapper=optim_cfg(),
        param_scheduler=[
            dict(type='PolyLR', power=0.9, eta_min=0, begin=0, end=90001,
                 by_epoch=False)
        ],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmseg',
        log_level='WARNING')
    runner.train()
    assert len(model.lrs) == 2
    for i, (seg_lr, d_lr) in enumerate(model.lrs):
        factor = (1 - i / 90000)**0.9  # LR(i) at iteration i, from i = 0
        assert seg_lr == pytest.approx(SEG_LR * factor, rel=1e-12, abs=0)
        assert d_lr == pytest.approx(D_LR * factor, rel=1e-12, abs=0)
    assert model.lrs[1][0] < SEG_LR
