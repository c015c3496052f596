"""One demo seed end to end at tiny sizes, and its building blocks."""
import mmseg_dda  # noqa: F401
from dataclasses import replace

import numpy as np
import pytest
import torch

from mmseg_dda.demo.data import DemoDataSpec, make_demo_data
from mmseg_dda.demo.design import Design
from mmseg_dda.demo.model import arm_model_cfg
from mmseg_dda.demo.prior import fit_demo_prior
from mmseg_dda.demo.protocol import (SeedRun, confusion, miou,
                                     pseudo_label_stats)

TINY = DemoDataSpec(size=(64, 40), num_source=10, num_target=4, num_val=3,
                    num_source_val=2)
DESIGN = Design(batch=2, pretrain_iters=3, iters=4, disc_warmup=2,
                selftrain_iters=2)


@pytest.fixture(scope='module')
def tiny_run():
    torch.set_num_threads(1)
    data = make_demo_data(TINY)
    gmm = fit_demo_prior(data['source'], components=1)
    return data, gmm


def test_seed_runs_every_arm(tiny_run):
    data, gmm = tiny_run
    lines = []
    res = SeedRun(data, gmm, DESIGN, 5, log=lines.append).run(
        with_oracle=True)
    assert set(res['rows']) == {
        'pretrain', 'source_only', 'source_only_bn', 'entropy', 'entropy_bn',
        'dda', 'dda_bn', 'selftrain', 'oracle'}
    for row in res['rows'].values():
        assert 0 <= row['mIoU'] <= 100 and len(row['IoU']) == 7
    for arm in ('source_only', 'entropy', 'dda'):
        extra = res['extra'][arm]
        assert 0 < extra['disc_prob_right'] < 1
        assert 0 <= extra['implausible'] <= 1
    assert set(res['mechanism']) == {'entropy', 'dda'}
    pseudo = res['extra']['pseudo_labels']
    assert len(pseudo['class_share']) == len(pseudo['label_share']) == 7
    assert sum(pseudo['label_share']) == pytest.approx(1)
    assert any('pre-training' in ln for ln in lines)


def test_arms_start_equal_and_share_data_order(tiny_run):
    """From one checkpoint, source only and DDA see the same batches: with
    the target weights 0 and no adversarial weight they stay identical."""
    data, gmm = tiny_run
    run = SeedRun(data, gmm, replace(DESIGN, entropy_adv_weight=0.0), 1)
    init = {k: v.clone() for k, v in run.model('source_only')
            .segmentor.state_dict().items()}
    a, _ = run.arm('source_only', init)
    b, _ = run.arm('entropy', init)  # adv 0 and no target density loss
    for (k, va), vb in zip(a.segmentor.state_dict().items(),
                           b.segmentor.state_dict().values()):
        assert torch.equal(va, vb), k


def test_arm_configs():
    gmm = fit_demo_prior(make_demo_data(TINY)['source'], components=1)
    so = arm_model_cfg('source_only', gmm, 0.1)
    assert so['loss_weights']['adv_tgt'] == 0.0
    assert so['loss_weights']['density_tgt'] == 0.0
    ent = arm_model_cfg('entropy', gmm, 0.1)
    assert ent['adversarial_input'] == 'entropy'
    assert ent['loss_weights']['adv_tgt'] == 0.1
    dda = arm_model_cfg('dda', gmm, 0.1)
    assert dda['adversarial_input'] == 'entropy_density'
    assert dda['loss_weights']['density_tgt'] > 0
    ref = arm_model_cfg('dda_refweight', gmm, 0.1, density_tgt_weight=1e-4)
    assert ref['adversarial_input'] == 'entropy_density'
    # The base config's (reference) weight, not the demo's.
    assert ref['loss_weights']['density_tgt'] == 0.05
    with pytest.raises(ValueError, match='arm must be one of'):
        arm_model_cfg('oracle', gmm, 0.1)


@pytest.mark.parametrize('channels_last', [True, False])
def test_design_sets_the_memory_format(tiny_run, channels_last):
    data, gmm = tiny_run
    run = SeedRun(data, gmm, replace(DESIGN, channels_last=channels_last),
                  0)
    model = run.model('dda')
    conv = model.segmentor.backbone.conv1.weight
    assert model.channels_last is channels_last
    assert conv.is_contiguous(memory_format=torch.channels_last) is \
        channels_last


def test_seed_runs_the_ablation_arm(tiny_run):
    data, gmm = tiny_run
    res = SeedRun(data, gmm, DESIGN, 5, log=lambda m: None).run(
        with_selftrain=True,
        arms=('source_only', 'entropy', 'dda', 'dda_refweight'))
    assert {'dda_refweight', 'dda_refweight_bn', 'selftrain'} <= set(
        res['rows'])
    assert set(res['mechanism']) == {'entropy', 'dda', 'dda_refweight'}


def test_miou_hand_computed():
    # Two classes on a 1x4 image: labels 0 0 1 1, predictions 0 1 1 1.
    logits = torch.zeros(1, 7, 1, 4)
    logits[0, 0, 0, 0] = 1
    logits[0, 1, 0, 1:] = 1
    conf = confusion(logits, np.array([[[0, 0, 1, 255]]], np.uint8))
    res = miou(conf)
    # IoU_0 = 1 / 2, IoU_1 = 1 / 2 (1 pixel of 2 predicted), others absent.
    assert res['mIoU'] == pytest.approx(50.0)
    assert res['aAcc'] == pytest.approx(200 / 3)


def test_poly_lr_with_linear_warmup():
    from mmseg_dda.demo.model import set_poly_lr
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    opt.param_groups[0]['initial_lr'] = 1.0
    wrapped = dict(segmentor=type('W', (), dict(optimizer=opt))())
    lrs = []
    for it in range(4):
        set_poly_lr(wrapped, it, 10, power=1.0, warmup=2)
        lrs.append(opt.param_groups[0]['lr'])
    # poly (1 - it / 10) times (it + 1) / 2 for it < 2.
    assert lrs == pytest.approx([0.5, 0.9, 0.8, 0.7], abs=1e-12)


def test_pseudo_label_stats_by_hand():
    pseudo = np.array([[0, 0, 255, 2], [255, 255, 255, 0]], np.uint8)
    labels = np.array([[0, 1, 2, 2], [2, 2, 255, 0]], np.uint8)
    stats = pseudo_label_stats(pseudo, labels)
    assert stats['share'] == 4 / 8
    assert stats['accuracy'] == 3 / 4  # 0, 2, 0 right; 0 for a 1 wrong
    assert stats['class_share'] == [3 / 4, 0, 1 / 4, 0, 0, 0, 0]
    # Among the 7 labelled pixels: two 0s, one 1, four 2s.
    assert stats['label_share'] == pytest.approx(
        [2 / 7, 1 / 7, 4 / 7, 0, 0, 0, 0])
