"""Tests of the three DDA heads (docs/method.md §2.2, §2.3)."""
import mmseg_dda  # noqa: F401
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from mmseg_dda.models.decode_heads import DeepLabV2Head, DensityHead, DepthHead


def test_deeplabv2_head_structure_and_forward():
    head = DeepLabV2Head(in_channels=8, num_classes=3)
    assert not hasattr(head, 'conv_seg') and head.dropout is None
    assert [c.dilation[0] for c in head.conv2d_list] == [6, 12, 18, 24]
    assert [c.padding[0] for c in head.conv2d_list] == [6, 12, 18, 24]
    assert all(c.bias is not None for c in head.conv2d_list)
    assert head.align_corners is True
    keys = set(head.state_dict())
    assert keys == {f'conv2d_list.{i}.{p}' for i in range(4)
                    for p in ('weight', 'bias')}
    x = torch.randn(2, 8, 9, 11)
    out = head((x, ))
    expected = sum(
        F.conv2d(x, c.weight, c.bias, padding=d, dilation=d)
        for c, d in zip(head.conv2d_list, (6, 12, 18, 24)))
    assert out.shape == (2, 3, 9, 11)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(head(x), out)  # bare tensor accepted


def test_deeplabv2_head_reference_init_keeps_default_bias():
    torch.manual_seed(0)
    head = DeepLabV2Head(in_channels=64, num_classes=16)
    bias_before = head.conv2d_list[0].bias.detach().clone()
    head.init_weights()  # must not fail without conv_seg (ENV fix 8)
    w = head.conv2d_list[0].weight
    assert abs(w.std().item() - 0.01) < 1e-3
    torch.testing.assert_close(head.conv2d_list[0].bias, bias_before)
    # An explicit init_cfg goes through MMEngine.
    head2 = DeepLabV2Head(
        in_channels=8, num_classes=3,
        init_cfg=dict(type='Constant', val=0.5, bias=0.,
                      override=dict(name='conv2d_list')))
    head2.init_weights()
    assert torch.all(head2.conv2d_list[3].weight == 0.5)


def test_deeplabv2_head_loss_upsamples_align_corners():
    head = DeepLabV2Head(in_channels=4, num_classes=3)
    logits = torch.randn(1, 3, 5, 5)
    label = torch.randint(0, 3, (1, 1, 17, 17))
    label[0, 0, :3] = 255
    sample = SegDataSample(gt_sem_seg=PixelData(data=label[0]))
    losses = head.loss_by_feat(logits, [sample])
    up = F.interpolate(logits, (17, 17), mode='bilinear', align_corners=True)
    expected = F.cross_entropy(up, label[:, 0], ignore_index=255)
    torch.testing.assert_close(losses['loss_ce'], expected)


def _naive_branch(head, x):
    h = F.relu(F.conv2d(x, head.conv1.weight, head.conv1.bias))
    h = F.relu(F.conv2d(h, head.conv2.weight, head.conv2.bias, padding=1))
    h = F.conv2d(h, head.conv3.weight, head.conv3.bias)
    return h.mean(1, keepdim=True)


@pytest.mark.parametrize('cls', [DepthHead, DensityHead])
def test_mean_projection_forward(cls):
    head = cls(in_channels=8, channels=6, proj_channels=5)
    assert set(head.state_dict()) == {
        f'conv{i}.{p}' for i in (1, 2, 3) for p in ('weight', 'bias')}
    assert head.conv1.kernel_size == (1, 1) and head.conv3.kernel_size == (1,
                                                                           1)
    assert head.conv2.kernel_size == (3, 3) and head.conv2.padding == (1, 1)
    x = torch.randn(2, 8, 4, 7)
    out = head((x, ))
    assert out.shape == (2, 1, 4, 7)
    torch.testing.assert_close(out, _naive_branch(head, x))


def test_density_head_unused_branch_and_loss():
    head = DensityHead(in_channels=8, channels=6, proj_channels=5,
                       with_unused_branch=True)
    assert head.conv4.weight.shape == (16, 5, 1, 1)
    assert head.dec.weight.shape == (8, 5, 1, 1)
    x = torch.randn(1, 8, 4, 4)
    plain = DensityHead(in_channels=8, channels=6, proj_channels=5)
    plain.load_state_dict(head.state_dict(), strict=False)
    torch.testing.assert_close(head(x), plain(x))  # unused in forward
    pred = torch.zeros(1, 1, 4, 4, requires_grad=True)
    target = torch.zeros(1, 1, 4, 4)
    target[0, 0, 0, 0] = 10.
    target[0, 0, 1, 1] = 1.
    samples = [SegDataSample()]
    head.set_targets(samples, target)
    assert samples[0].gt_density_target.data.shape == (1, 4, 4)
    loss = head.loss_by_feat(pred, samples)['loss_berhu']
    # c = 0.2 * 10 = 2: |1| <= c -> 1; |10| > c -> (100 + 4) / 4 = 26.
    torch.testing.assert_close(loss, torch.tensor(27. / 16))
    head.set_targets(samples, torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match='feature grid'):
        head.loss_by_feat(pred, samples)


def test_density_head_mmseg_loss_api():
    """loss = forward + loss_by_feat, reading gt_density_target."""
    head = DensityHead(in_channels=8, channels=6, proj_channels=5)
    x = torch.randn(2, 8, 4, 4)
    target = torch.rand(2, 1, 4, 4) * 255
    samples = [SegDataSample(), SegDataSample()]
    head.set_targets(samples, target)
    losses = head.loss((x, ), samples, None)
    expected = head.loss_decode(head((x, )), target)
    torch.testing.assert_close(losses['loss_berhu'], expected)
    with pytest.raises(KeyError, match=r'DensityHead: data samples \[0\] '
                       'have no gt_density_target'):
        head.loss((x, ), [SegDataSample(), samples[1]], None)
    with pytest.raises(ValueError, match=r'expected \(2, C, h, w\)'):
        head.set_targets(samples, target[:1])


def test_depth_head_loss_upsamples_to_label():
    head = DepthHead(in_channels=4, channels=4, proj_channels=4)
    pred = torch.tensor([[[[0., 2.], [4., 6.]]]])
    gt = torch.zeros(1, 3, 3)
    sample = SegDataSample(gt_depth_map=PixelData(data=gt))
    loss = head.loss_by_feat(pred, [sample])['loss_berhu']
    # align_corners=True upsampling of the 2x2 map to 3x3.
    up = torch.tensor([[0., 1., 2.], [2., 3., 4.], [4., 5., 6.]])
    c = 0.2 * 6.
    a = up.abs()
    expected = torch.where(a <= c, a, (a**2 + c**2) / (2 * c)).mean()
    torch.testing.assert_close(loss, expected)
    with pytest.raises(KeyError, match='gt_depth_map'):
        head.loss_by_feat(pred, [SegDataSample()])
