"""Tests of DepthDensitySegmentor (docs/method.md §2.2, §9; docs/DESIGN.md)."""
import mmseg_dda  # noqa: F401
import torch
import torch.nn.functional as F
from mmengine.runner.checkpoint import load_checkpoint
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from _tiny_models import build_tiny, tiny_dda_cfg, tiny_segmentor_cfg

C = 7  # the c7 GMM set


def build_segmentor():
    return build_tiny(tiny_segmentor_cfg(C))


def _sample(h=64, w=64, depth=True):
    s = SegDataSample(
        gt_sem_seg=PixelData(data=torch.randint(0, C, (1, h, w))))
    if depth:
        s.gt_depth_map = PixelData(data=torch.rand(1, h, w) * 100 + 1)
    s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w)))
    return s


def test_forward_heads_shapes():
    model = build_segmentor().eval()
    out = model.forward_heads(torch.randn(2, 3, 64, 64))
    assert out['seg_logits'].shape == (2, C, 9, 9)
    assert out['depth'].shape == (2, 1, 9, 9)
    assert out['density'].shape == (2, 1, 9, 9)
    # mode='heads' is the same call through forward (DDP-friendly).
    out2 = model(torch.randn(1, 3, 64, 64), mode='heads')
    assert set(out2) == {'seg_logits', 'depth', 'density'}
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, C, 9, 9)


def test_predict_upsamples_once_to_ori_shape():
    model = build_segmentor().eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        heads = model.forward_heads(x)
    # Spatially varied logits (the tiny random network's are nearly flat).
    heads['seg_logits'] = torch.randn_like(heads['seg_logits'])
    model.forward_heads = lambda inputs: heads
    sample = SegDataSample()
    sample.set_metainfo(dict(img_shape=(64, 64), ori_shape=(50, 70)))
    with torch.no_grad():
        (res, ) = model.predict(x, [sample])
    expected = F.interpolate(
        heads['seg_logits'], (50, 70), mode='bilinear',
        align_corners=True)[0]
    torch.testing.assert_close(res.seg_logits.data, expected)
    # Going through the input size first would give other values.
    two_step = F.interpolate(
        F.interpolate(heads['seg_logits'], (64, 64), mode='bilinear',
                      align_corners=True), (50, 70), mode='bilinear',
        align_corners=True)[0]
    assert (two_step - expected).abs().max() > 1e-3
    torch.testing.assert_close(res.pred_sem_seg.data,
                               expected.argmax(0, keepdim=True))
    assert res.pred_depth_map.data.shape == (1, 64, 64)
    assert res.pred_density_map.data.shape == (1, 64, 64)
    # Without data samples: ori_shape = input size.
    with torch.no_grad():
        (res2, ) = model.predict(x)
    assert res2.seg_logits.data.shape == (C, 64, 64)


def test_supervised_loss_keys():
    model = build_segmentor().train()
    x = torch.randn(1, 3, 64, 64)
    losses = model.loss(x, [_sample()])
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg',
                           'depth.loss_berhu'}
    losses = model.loss(x, [_sample(depth=False)])  # self-training
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    total = losses['decode.loss_ce']
    total.backward()
    assert model.decode_head.conv2d_list[0].weight.grad is not None
    assert model.depth_head.conv1.weight.grad is None


def test_loads_dda_state_dict(tmp_path):
    dda = build_tiny(tiny_dda_cfg(C), seed=1, init_weights=False)
    for p in dda.parameters():
        torch.nn.init.normal_(p)
    for name, buf in dda.named_buffers():
        if 'running' in name:
            buf.uniform_(0.5, 1.5)
    sd = dda.state_dict()
    assert any(k.startswith('discriminator.') for k in sd)
    path = tmp_path / 'dda.pth'
    torch.save(dict(meta=dict(), state_dict=sd), path)

    seg = build_segmentor()
    # MMEngine's loader (load_from / Pretrained) ...
    load_checkpoint(seg, str(path), strict=True)
    for k, v in seg.state_dict().items():
        torch.testing.assert_close(v, sd['segmentor.' + k])
    # ... and torch's own load_state_dict, strict.
    seg2 = build_segmentor()
    result = seg2.load_state_dict(sd, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x = torch.randn(1, 3, 64, 64)
    seg.eval(), seg2.eval(), dda.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            seg(x), dda(x, mode='tensor'))
    # A plain segmentor state dict still loads unchanged.
    seg3 = build_segmentor()
    seg3.load_state_dict(seg.state_dict(), strict=True)
