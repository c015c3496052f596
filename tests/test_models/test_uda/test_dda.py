"""Tests of the DDA wrapper's train_step (docs/method.md §4, §5.1)."""
import mmseg_dda  # noqa: F401
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmseg_dda.models.losses import berhu_loss, entropy_map
from mmseg_dda.models.uda import LOSS_KEYS, NonFiniteLossError

from _tiny_models import (REFERENCE_LOSS_WEIGHTS, UNIT_CLASSES, UNIT_GRID,
                          UNIT_SIZE, build_unit_dda, unit_dda_batch)

C = UNIT_CLASSES
H, W = UNIT_SIZE
GRID = UNIT_GRID
WEIGHTS = REFERENCE_LOSS_WEIGHTS


def optim(model):
    return build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            segmentor=dict(
                type='OptimWrapper',
                optimizer=dict(
                    type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)),
            discriminator=dict(
                type='OptimWrapper',
                optimizer=dict(type='Adam', lr=1e-2, betas=(0.9, 0.99)))))


def capture_step_grads(wrapper, module):
    """Record the gradients present when ``wrapper.step`` is called."""
    grads = {}
    original = wrapper.step

    def step(**kwargs):
        for name, p in module.named_parameters():
            grads[name] = None if p.grad is None else p.grad.detach().clone()
        original(**kwargs)

    wrapper.step = step
    return grads


def expected_losses(model, data):
    """Recompute the §5.1 losses by hand on a copy of the model."""
    model = copy.deepcopy(model)
    seg, disc = model.segmentor, model.discriminator
    src = model.data_preprocessor(
        dict(inputs=data['inputs'], data_samples=data['data_samples']), True)
    tgt = model.data_preprocessor(
        dict(inputs=data['target_inputs'],
             data_samples=data['target_data_samples']), True)

    def up(x):
        return F.interpolate(x, (H, W), mode='bilinear', align_corners=True)

    with torch.no_grad():
        hs = seg.forward_heads(src['inputs'])
        ht = seg.forward_heads(tgt['inputs'])
        label = torch.stack([s.gt_sem_seg.data for s in src['data_samples']])
        depth = torch.stack(
            [s.gt_depth_map.data for s in src['data_samples']])
        maps = torch.stack(
            [s.gt_density_map.data for s in src['data_samples']])
        cls = hs['seg_logits'].argmax(1, keepdim=True)
        dens_src = maps.gather(1, cls)
        dens_tgt = model.density.target_density_target(ht['seg_logits'],
                                                       ht['depth'])

        def dmap(h):
            return entropy_map(F.softmax(up(h['seg_logits']), dim=1)) * up(
                h['density'])

        def bce(x, v):
            return F.binary_cross_entropy_with_logits(
                x, torch.full_like(x, v))

        return {
            'src.loss_seg': F.cross_entropy(
                up(hs['seg_logits']), label[:, 0], ignore_index=255),
            'src.loss_depth': 0.005 * berhu_loss(up(hs['depth']), depth),
            'src.loss_density': 0.01 * berhu_loss(hs['density'], dens_src),
            'tgt.loss_adv': 0.05 * bce(disc(dmap(ht)), 0.),
            'tgt.loss_density': 0.05 * berhu_loss(ht['density'], dens_tgt),
            'disc.loss_src': bce(disc(dmap(hs)), 0.),
            'disc.loss_tgt': bce(disc(dmap(ht)), 1.),
        }, src, tgt


def test_train_step_losses_and_updates():
    model = build_unit_dda()
    ow = optim(model)
    data = unit_dda_batch()
    expected, _, _ = expected_losses(model, data)
    before = copy.deepcopy(model.state_dict())
    seg_grads = capture_step_grads(ow['segmentor'], model.segmentor)
    d_grads = capture_step_grads(ow['discriminator'], model.discriminator)
    # D inputs of the three D calls: generator term, D source, D target.
    d_inputs = []
    hook = model.discriminator.register_forward_hook(
        lambda m, args, out: d_inputs.append(args[0]))
    log = model.train_step(data, ow)
    hook.remove()

    assert list(log) == ['loss', *LOSS_KEYS]
    for key, value in expected.items():
        torch.testing.assert_close(log[key], value, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(log['loss'], sum(expected.values()),
                               rtol=1e-4, atol=1e-6)

    after = model.state_dict()
    changed = lambda k: not torch.equal(before[k], after[k])  # noqa: E731
    assert changed('segmentor.decode_head.conv2d_list.0.weight')
    assert changed('segmentor.backbone.layer1.0.conv1.weight')
    assert changed('segmentor.depth_head.conv1.weight')
    assert changed('segmentor.density_head.conv1.weight')
    assert changed('discriminator.0.weight')
    # Frozen BN affine parameters stay; running statistics move (train BN).
    bn_affine = [k for k in before if '.bn' in k and k.endswith(
        ('.weight', '.bias'))]
    assert bn_affine and not any(changed(k) for k in bn_affine)
    assert changed('segmentor.backbone.bn1.running_mean')
    assert all(p.requires_grad for p in model.discriminator.parameters())

    # D's gradient is exactly that of its two own losses: the generator
    # pass (first D call, the only one with a graph) adds nothing.
    assert len(d_inputs) == 3
    assert d_inputs[0].requires_grad
    assert not d_inputs[1].requires_grad and not d_inputs[2].requires_grad
    ref_d = copy.deepcopy(model.discriminator)
    ref_d.load_state_dict({
        k[len('discriminator.'):]: v
        for k, v in before.items() if k.startswith('discriminator.')
    })
    ref_d.zero_grad()
    loss = F.binary_cross_entropy_with_logits(
        ref_d(d_inputs[1]), torch.zeros(1, 1, 2, 2)) + \
        F.binary_cross_entropy_with_logits(
            ref_d(d_inputs[2]), torch.ones(1, 1, 2, 2))
    loss.backward()
    for name, p in ref_d.named_parameters():
        torch.testing.assert_close(d_grads[name], p.grad)
    # Frozen BN parameters get no gradient.
    assert seg_grads['backbone.bn1.weight'] is None


def test_zero_target_weights_skip_the_target_backward():
    """Target losses that all weigh 0 (a source-only baseline, a
    discriminator warm-up): the segmentor's step has exactly the source
    gradients, the target pass still runs (BN statistics, discriminator,
    logged losses) and the iteration counts once."""
    zero = dict(WEIGHTS, adv_tgt=0.0, density_tgt=0.0)
    model = build_unit_dda(loss_weights=zero)
    source_only = copy.deepcopy(model)
    data = unit_dda_batch()
    ow, ow_src = optim(model), optim(source_only)
    grads = capture_step_grads(ow['segmentor'], model.segmentor)
    src_grads = capture_step_grads(ow_src['segmentor'],
                                   source_only.segmentor)
    backwards = []
    original = model._backward

    def counting(wrapper, loss, last):
        backwards.append(wrapper is ow['segmentor'])
        original(wrapper, loss, last)

    model._backward = counting
    log = model.train_step(data, ow)
    source_only.train_source_step(data, ow_src['segmentor'])

    assert backwards == [True, False, False]  # source, D source, D target
    assert list(log) == ['loss', *LOSS_KEYS]
    assert log['tgt.loss_adv'] == 0 and log['tgt.loss_density'] == 0
    for name, grad in src_grads.items():
        if grad is None:
            assert grads[name] is None, name
        else:
            assert torch.equal(grads[name], grad), name
    # The target images went through train-mode BN: other statistics.
    assert not torch.equal(
        model.segmentor.backbone.bn1.running_mean,
        source_only.segmentor.backbone.bn1.running_mean)
    assert ow['segmentor'].optimizer.state  # stepped once
    assert ow['segmentor']._inner_count == 1


def _adv_only_grads(adversarial_input):
    weights = dict(seg_src=0., density_src=0., depth_src=0., adv_tgt=1.,
                   density_tgt=0.)
    model = build_unit_dda(loss_weights=weights, adversarial_input=adversarial_input)
    ow = optim(model)
    grads = capture_step_grads(ow['segmentor'], model.segmentor)
    model.train_step(unit_dda_batch(), ow)
    return grads


def test_adversarial_gradient_reaches_density_head_and_backbone():
    grads = _adv_only_grads('entropy_density')
    for name in ('density_head.conv1.weight', 'decode_head.conv2d_list.0.'
                 'weight', 'backbone.layer4.0.conv1.weight'):
        assert grads[name] is not None and grads[name].abs().sum() > 0, name
    assert grads['depth_head.conv1.weight'].abs().sum() == 0
    # ADVENT input: the density head gets no adversarial gradient.
    grads = _adv_only_grads('entropy')
    assert grads['density_head.conv1.weight'].abs().sum() == 0
    assert grads['decode_head.conv2d_list.0.weight'].abs().sum() > 0


def test_non_finite_loss_raises_before_step():
    model = build_unit_dda()
    ow = optim(model)
    data = unit_dda_batch()
    data['data_samples'][0].gt_depth_map.data[0, 5, 5] = float('inf')
    MessageHub.get_current_instance().update_info('iter', 7)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(NonFiniteLossError,
                       match=r'iteration 7: src\.loss_depth=(inf|nan)'):
        model.train_step(data, ow)
    after = model.state_dict()
    for k in before:
        if 'running' not in k and 'num_batches' not in k:
            assert torch.equal(before[k], after[k]), k
    assert all(p.grad is None or p.grad.abs().sum() == 0
               for p in model.parameters())


def test_batch_of_two_and_inference_delegation():
    model = build_unit_dda()
    ow = optim(model)
    log = model.train_step(unit_dda_batch(n=2), ow)
    assert all(torch.isfinite(v) for v in log.values())
    model.eval()
    data = unit_dda_batch(n=2)
    val = dict(inputs=data['target_inputs'],
               data_samples=data['target_data_samples'])
    outs = model.val_step(val)
    assert len(outs) == 2 and outs[0].pred_sem_seg.data.shape == (1, H, W)
    assert outs[0].pred_density_map.data.shape == (1, H, W)
    assert model.test_step(val)[1].seg_logits.data.shape == (C, H, W)
    x = torch.zeros(1, 3, H, W)
    assert model(x, mode='tensor').shape == (1, C, *GRID)
    with pytest.raises(RuntimeError, match='train_step'):
        model(x, mode='loss')


def test_config_checks():
    with pytest.raises(ValueError, match='GMM prior has 16'):
        build_unit_dda(density=dict(type='GMMDensity', params='c16'))
    with pytest.raises(ValueError, match='unknown loss_weights'):
        build_unit_dda(loss_weights=dict(seg=1.))
    with pytest.raises(ValueError, match='adversarial_input'):
        build_unit_dda(adversarial_input='density')
    with pytest.raises(ValueError, match='discriminator takes 3'):
        build_unit_dda(discriminator=dict(type='FCDiscriminator', in_channels=3,
                                 channels=(4, 4, 4, 4)))


def test_separate_ddp_wrapper(tmp_path):
    """MMSeparateDistributedDataParallel (1-process gloo) runs a step."""
    import torch.distributed as dist
    from mmengine.model import MMSeparateDistributedDataParallel
    if not dist.is_available():
        pytest.skip('torch.distributed is not available')
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    try:
        model = build_unit_dda()
        wrapped = MMSeparateDistributedDataParallel(
            model, broadcast_buffers=False, find_unused_parameters=True)
        ow = optim(wrapped)
        before = model.discriminator.module[0].weight.detach().clone()
        log = wrapped.train_step(unit_dda_batch(), ow)
        assert set(log) == {'loss', *LOSS_KEYS}
        assert not torch.equal(before, model.discriminator.module[0].weight)
        wrapped.eval()
        data = unit_dda_batch()
        outs = wrapped.val_step(
            dict(inputs=data['target_inputs'],
                 data_samples=data['target_data_samples']))
        assert outs[0].pred_sem_seg.data.shape == (1, H, W)
    finally:
        dist.destroy_process_group()
