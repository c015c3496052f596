"""The DDA heads on any MMSeg backbone: in_index / input_transform."""
import mmseg_dda  # noqa: F401
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmseg_dda.models.decode_heads import DeepLabV2Head, DensityHead, DepthHead

# Four MiT-like stages of a 64x96 input: strides 4, 8, 16, 32.
CHANNELS = [4, 6, 8, 10]


def _stages(seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(2, c, 16 // 2**i, 24 // 2**i, generator=g)
        for i, c in enumerate(CHANNELS))


def _up(x, size):
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False)


@pytest.mark.parametrize('head_cls', [DepthHead, DensityHead])
def test_default_is_one_output_at_in_index(head_cls):
    """The ResNet layer4 path: no transform, the output at in_index."""
    head = head_cls(in_channels=10, channels=6, proj_channels=3)
    assert head.input_transform is None and head.in_index == -1
    assert set(k.split('.')[0] for k in head.state_dict()) >= {
        'conv1', 'conv2', 'conv3'}
    feats = _stages()
    out = head(feats)
    assert out.shape == (2, 1, 2, 3)
    torch.testing.assert_close(out, head(feats[-1]))


@pytest.mark.parametrize('head_cls', [DepthHead, DensityHead])
def test_resize_concat_predicts_on_first_stage_grid(head_cls):
    head = head_cls(in_channels=CHANNELS, in_index=[0, 1, 2, 3],
                    input_transform='resize_concat', channels=6,
                    proj_channels=3, align_corners=False)
    assert head.in_channels == sum(CHANNELS)
    assert head.conv1.in_channels == sum(CHANNELS)
    feats = _stages()
    out = head(feats)
    assert out.shape == (2, 1, 16, 24)
    cat = torch.cat([_up(f, (16, 24)) for f in feats], 1)
    x = F.relu(head.conv1(cat))
    x = head.conv3(F.relu(head.conv2(x)))
    torch.testing.assert_close(out, x.mean(1, keepdim=True))


def test_multiple_select_equals_resize_concat():
    """Per-stage 1x1 projections, resized and summed, are the resize_concat
    head with its conv1 split by input channels (bilinear resizing commutes
    with a 1x1 conv and keeps constants)."""
    kwargs = dict(in_channels=CHANNELS, in_index=[0, 1, 2, 3], channels=6,
                  proj_channels=3, align_corners=False)
    concat = DepthHead(input_transform='resize_concat', **kwargs)
    select = DepthHead(input_transform='multiple_select', **kwargs)
    assert [c.in_channels for c in select.conv1] == CHANNELS
    with torch.no_grad():
        weights = concat.conv1.weight.split(CHANNELS, dim=1)
        for i, conv in enumerate(select.conv1):
            conv.weight.copy_(weights[i])
            conv.bias.copy_(concat.conv1.bias if i == 0 else
                            torch.zeros_like(conv.bias))
        for name in ('conv2', 'conv3'):
            getattr(select, name).load_state_dict(
                getattr(concat, name).state_dict())
    feats = _stages(1)
    torch.testing.assert_close(select(feats), concat(feats), rtol=1e-5,
                               atol=1e-6)


def test_subset_of_stages_and_unused_branch():
    head = DensityHead(in_channels=[6, 10], in_index=[1, 3],
                       input_transform='resize_concat', channels=4,
                       proj_channels=2, with_unused_branch=True)
    assert head.dec.out_channels == 16
    assert head(_stages()).shape == (2, 1, 8, 12)
    select = DensityHead(in_channels=[6, 10], in_index=[1, 3],
                         input_transform='multiple_select', channels=4,
                         proj_channels=2, with_unused_branch=True)
    assert select.dec.out_channels == 16


@pytest.mark.parametrize('kwargs, err, match', [
    (dict(in_channels=CHANNELS), TypeError, 'must be ints'),
    (dict(in_channels=CHANNELS, in_index=[0, 1],
          input_transform='resize_concat'), TypeError, 'same length'),
    (dict(in_channels=8, in_index=0, input_transform='concat'), ValueError,
     "input_transform must be None, 'resize_concat'"),
])
def test_bad_input_arguments_are_named(kwargs, err, match):
    with pytest.raises(err, match=match):
        DepthHead(**kwargs)


def test_transform_needs_the_tuple_of_outputs():
    head = DepthHead(in_channels=CHANNELS, in_index=[0, 1, 2, 3],
                     input_transform='resize_concat')
    with pytest.raises(TypeError, match='needs the tuple'):
        head(torch.zeros(1, sum(CHANNELS), 4, 4))


def test_deeplabv2_head_on_several_stages():
    head = DeepLabV2Head(in_channels=[8, 10], in_index=[2, 3],
                         input_transform='resize_concat', num_classes=3,
                         align_corners=False)
    assert head.conv2d_list[0].in_channels == 18
    assert head(_stages()).shape == (2, 3, 4, 6)
    with pytest.raises(ValueError, match='multiple_select'):
        DeepLabV2Head(in_channels=[8, 10], in_index=[2, 3],
                      input_transform='multiple_select', num_classes=3)


def tiny_mit_segmentor(num_classes=5) -> dict:
    """MiT + SegformerHead + DDA heads on all four stages (tiny widths)."""
    channels = [8, 16, 40, 64]
    heads = dict(in_channels=channels, in_index=[0, 1, 2, 3],
                 input_transform='resize_concat', channels=8,
                 proj_channels=4, align_corners=False)
    return dict(
        type='DepthDensitySegmentor',
        backbone=dict(type='MixVisionTransformer', embed_dims=8,
                      num_layers=[1, 1, 1, 1], num_heads=[1, 2, 5, 8]),
        decode_head=dict(type='SegformerHead', in_channels=channels,
                         in_index=[0, 1, 2, 3], channels=16,
                         num_classes=num_classes, align_corners=False),
        depth_head=dict(type='DepthHead', **heads),
        density_head=dict(type='DensityHead', **heads))


def test_mit_segmentor_heads_share_the_stride4_grid():
    init_default_scope('mmseg')
    seg = MODELS.build(tiny_mit_segmentor())
    out = seg.forward_heads(torch.randn(1, 3, 38, 64))
    grid = ((38 + 6 - 7) // 4 + 1, (64 + 6 - 7) // 4 + 1)
    assert out['seg_logits'].shape == (1, 5, *grid)
    assert out['depth'].shape == out['density'].shape == (1, 1, *grid)
