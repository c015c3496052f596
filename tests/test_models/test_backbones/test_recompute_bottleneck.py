"""Tests of RecomputeBottleneck / conv_norm: same numbers, less kept."""
import mmseg_dda  # noqa: F401
import copy
import weakref

import pytest
import torch
import torch.nn as nn
from mmseg.models.backbones.resnet import Bottleneck

from mmseg_dda.models.backbones import DeepLabV2ResNet
from mmseg_dda.models.backbones.recompute_bottleneck import (
    RecomputeBottleneck, conv_norm)


def _backbone(recompute: bool, channels_last: bool = False):
    torch.manual_seed(0)
    model = DeepLabV2ResNet(depth=50, stem_channels=8, base_channels=4,
                            recompute_norm_inputs=recompute)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model.train()


def _step(model, x, amp: bool):
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
        out = model(x)[0]
    (out.float()**2).mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    return out, grads, list(model.buffers())


@pytest.mark.parametrize('channels_last', [False, True])
@pytest.mark.parametrize('amp', [False, True])
def test_bit_identical_outputs_gradients_and_bn_statistics(channels_last, amp):
    kept = _backbone(False, channels_last)
    recomputed = copy.deepcopy(kept)
    for block in recomputed.modules():
        if isinstance(block, RecomputeBottleneck):
            block.recompute_norm_inputs = True
    x = torch.randn(1, 3, 37, 61)  # odd sizes: strided convs round
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    (out_a, grads_a, bufs_a), (out_b, grads_b, bufs_b) = (
        _step(kept, x, amp), _step(recomputed, x, amp))
    assert torch.equal(out_a, out_b)
    assert len(grads_a) == len(grads_b) > 0
    assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b))
    assert all(torch.equal(a, b) for a, b in zip(bufs_a, bufs_b))


def _expanding_conv_outputs(model, x):
    """Run ``model(x)``; weak references to the outputs of every block's
    conv3 and downsample conv, and the output (which holds the graph)."""
    refs = []

    def record(module, inputs, output):
        refs.append(weakref.ref(output))

    convs = [conv for block in model.modules()
             if isinstance(block, Bottleneck)
             for conv in (block.conv3, block.downsample[0]
                          if block.downsample is not None else None)
             if conv is not None]
    hooks = [conv.register_forward_hook(record) for conv in convs]
    out = model(x)
    for hook in hooks:
        hook.remove()
    return refs, out


def test_frees_the_expanded_bn_inputs_while_the_graph_lives():
    x = torch.randn(1, 3, 64, 96)
    refs, out = _expanding_conv_outputs(_backbone(True), x)
    assert len(refs) == 3 + 4 + 6 + 3 + 4  # conv3 of 16 blocks + 4 shortcuts
    assert [r for r in refs if r() is not None] == []
    out[0].sum().backward()  # recomputed on demand
    refs, out = _expanding_conv_outputs(_backbone(False), x)
    assert all(r() is not None for r in refs)


def test_default_recomputes_layers_1_to_3():
    x = torch.randn(1, 3, 64, 96)
    torch.manual_seed(0)
    model = DeepLabV2ResNet(depth=50, stem_channels=8, base_channels=4)
    flags = [[block.recompute_norm_inputs for block in layer]
             for layer in (model.layer1, model.layer2, model.layer3,
                           model.layer4)]
    assert flags == [[True] * 3, [True] * 4, [True] * 6, [False] * 3]
    refs, out = _expanding_conv_outputs(model.train(), x)
    # Outputs in hook order: layer1-3 (16 blocks + 3 shortcuts) freed,
    # layer4 (3 blocks + 1 shortcut) kept.
    alive = [r() is not None for r in refs]
    assert alive == [False] * 16 + [True] * 4
    with pytest.raises(ValueError, match='outside 0..3'):
        DeepLabV2ResNet(depth=50, stem_channels=8, base_channels=4,
                        recompute_norm_inputs=(2, 4))


def test_weight_changed_before_backward_is_an_error():
    conv = nn.Conv2d(3, 4, 1, bias=False)
    norm = nn.BatchNorm2d(4)
    out = conv_norm(conv, norm, torch.randn(1, 3, 5, 5, requires_grad=True))
    with torch.no_grad():
        conv.weight.add_(1.)
    with pytest.raises(RuntimeError, match='weight changed'):
        out.sum().backward()


def test_no_graph_no_hooks():
    conv = nn.Conv2d(3, 4, 1, bias=False)
    norm = nn.BatchNorm2d(4).eval()
    x = torch.randn(1, 3, 5, 5)
    with torch.no_grad():
        assert torch.equal(conv_norm(conv, norm, x), norm(conv(x)))
