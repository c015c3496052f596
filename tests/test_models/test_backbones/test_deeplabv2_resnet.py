"""Tests of DeepLabV2ResNet (docs/method.md §2.1, §2.4, §11.2, §12.2)."""
import mmseg_dda  # noqa: F401
import pytest
import torch
import torch.nn as nn
from mmseg_dda.checkpoint.reference import reference_backbone_layout
from mmseg_dda.models.backbones import DeepLabV2ResNet


def _full_meta():
    with torch.device('meta'):
        return DeepLabV2ResNet()


def test_reference_keys_and_shapes():
    model = _full_meta()
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = reference_backbone_layout(depth=101)
    assert got == dict(expected)
    # §11.2: 648 entries in total, 24 of them in the heads.
    assert len(got) == 624
    assert got['layer2.0.conv1.weight'] == (128, 256, 1, 1)
    assert got['layer4.0.downsample.0.weight'] == (2048, 1024, 1, 1)
    assert 'layer3.22.bn3.running_var' in got


def test_caffe_style_strides_dilations_and_frozen_bn():
    model = _full_meta()
    # Stride on the first 1x1 conv (caffe style), 3x3 conv unstrided.
    assert model.layer2[0].conv1.stride == (2, 2)
    assert model.layer2[0].conv2.stride == (1, 1)
    assert model.layer2[0].downsample[0].stride == (2, 2)
    for layer, d in ((model.layer3, 2), (model.layer4, 4)):
        for block in layer:  # every block dilated (no contract_dilation)
            assert block.conv2.dilation == (d, d)
            assert block.conv2.padding == (d, d)
            assert block.conv1.stride == (1, 1)
    assert all(m.bias is None for m in model.modules()
               if isinstance(m, nn.Conv2d))
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(not p.requires_grad for m in bns for p in m.parameters())
    assert all(m.momentum == 0.1 and m.eps == 1e-5 for m in bns)
    assert model.maxpool.ceil_mode is True
    assert model.out_channels == 2048


@pytest.mark.parametrize('hw,grid', [((760, 1280), (96, 161)),
                                     ((320, 640), (41, 81))])
def test_feature_grid_full_width_meta(hw, grid):
    model = _full_meta().eval()
    x = torch.empty(1, 3, *hw, device='meta')
    (out, ) = model(x)
    assert tuple(out.shape) == (1, 2048, *grid)


def test_feature_grid_tiny_real_compute():
    model = DeepLabV2ResNet(depth=50, stem_channels=4, base_channels=4)
    model.eval()
    with torch.no_grad():
        (out, ) = model(torch.randn(1, 3, 320, 640))
    assert tuple(out.shape) == (1, 128, 41, 81)
    # Without ceil_mode the grid would be MMSeg's 40x80 (§2.4).
    model.maxpool.ceil_mode = False
    with torch.no_grad():
        (out, ) = model(torch.randn(1, 3, 320, 640))
    assert tuple(out.shape[2:]) == (40, 80)


def test_bn_train_mode_and_norm_eval_option():
    model = DeepLabV2ResNet(depth=50, stem_channels=4, base_channels=4)
    model.train()
    assert model.bn1.training  # reference: BN in train mode, frozen affine
    frozen = DeepLabV2ResNet(
        depth=50, stem_channels=4, base_channels=4, norm_eval=True)
    frozen.train()
    assert not frozen.bn1.training and not frozen.layer4[2].bn3.training


def test_reference_init():
    torch.manual_seed(0)
    model = DeepLabV2ResNet(depth=50, stem_channels=16, base_channels=16)
    model.init_weights()
    w = model.layer4[0].conv2.weight  # 128*128*9 values
    assert abs(w.std().item() - 0.01) < 5e-4
    assert abs(w.mean().item()) < 5e-4
    assert torch.all(model.layer1[0].bn3.weight == 1)
    assert torch.all(model.layer1[0].bn3.bias == 0)


def test_deep_stem_rejected():
    with pytest.raises(ValueError, match='deep_stem'):
        DeepLabV2ResNet(depth=50, deep_stem=True)
