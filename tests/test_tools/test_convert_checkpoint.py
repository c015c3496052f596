"""Tests of tools/convert_reference_checkpoint.py (docs/method.md §11)."""
import mmseg_dda  # noqa: F401

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint
from mmseg.registry import MODELS
from mmseg_dda.checkpoint.reference import convert_segnet_state_dict

from _helpers import load_tool
from _tiny_models import tiny_backbone_cfg, tiny_dda_cfg, tiny_segmentor_cfg

C = 7
STEM, BASE, HEAD, PROJ = 4, 2, 8, 4
FEAT = BASE * 8 * 4
BLOCKS = (3, 4, 6, 3)  # ResNet-50 block counts keep the test small
TOOL = 'convert_reference_checkpoint'


# ---------------------------------------------------------------------------
# A tiny network in the reference layout (key names of §11.2), written from
# the description in docs/method.md §2.1/§2.2.
# ---------------------------------------------------------------------------
class RefBottleneck(nn.Module):

    def __init__(self, inplanes, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(out + res)


class RefNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, STEM, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(STEM)
        self.maxpool = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        inplanes = STEM
        for i, (n, s, d) in enumerate(zip(BLOCKS, (1, 2, 1, 1),
                                          (1, 1, 2, 4))):
            planes = BASE * 2**i
            ds = nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, s, bias=False),
                nn.BatchNorm2d(planes * 4))
            blocks = [RefBottleneck(inplanes, planes, s, d, ds)]
            blocks += [RefBottleneck(planes * 4, planes, 1, d, None)
                       for _ in range(n - 1)]
            setattr(self, f'layer{i + 1}', nn.Sequential(*blocks))
            inplanes = planes * 4
        self.layer6 = nn.Module()
        self.layer6.conv2d_list = nn.ModuleList(
            nn.Conv2d(FEAT, C, 3, padding=d, dilation=d, bias=True)
            for d in (6, 12, 18, 24))
        for enc in ('enc4', 'enc5'):
            setattr(self, f'{enc}_1', nn.Conv2d(FEAT, HEAD, 1))
            setattr(self, f'{enc}_2', nn.Conv2d(HEAD, HEAD, 3, padding=1))
            setattr(self, f'{enc}_3', nn.Conv2d(HEAD, PROJ, 1))
        self.enc4_4 = nn.Conv2d(PROJ, 16, 1)
        self.dec4 = nn.Conv2d(PROJ, FEAT, 1)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x4 = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        density = self.enc4_3(F.relu(self.enc4_2(F.relu(self.enc4_1(x4)))))
        depth = self.enc5_3(F.relu(self.enc5_2(F.relu(self.enc5_1(x4)))))
        seg = sum(conv(x4) for conv in self.layer6.conv2d_list)
        return seg, density.mean(1, keepdim=True), depth.mean(1, keepdim=True)


def ref_discriminator():
    chans = [C, 4, 4, 4, 4, 1]
    layers = []
    for i in range(5):
        layers.append(nn.Conv2d(chans[i], chans[i + 1], 4, 2, 1))
        if i < 4:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def randomised(module):
    torch.manual_seed(0)
    for name, t in module.state_dict().items():
        if name.endswith('running_var'):
            t.uniform_(0.5, 1.5)
        elif name.endswith('num_batches_tracked'):
            t.fill_(3)
        else:
            t.normal_(0, 0.2)
    return module.eval()


def seg_cfg(with_unused=False):
    cfg = tiny_segmentor_cfg(C, width=BASE, channels=HEAD,
                             proj_channels=PROJ,
                             backbone=dict(stem_channels=STEM))
    cfg['density_head']['with_unused_branch'] = with_unused
    return cfg


@pytest.fixture
def ref_files(tmp_path):
    net, disc = randomised(RefNet()), randomised(ref_discriminator())
    seg_path, d_path = tmp_path / 'model_90000.pth', tmp_path / 'D.pth'
    torch.save({'model': net.state_dict()}, seg_path)
    torch.save({'model': disc.state_dict()}, d_path)
    return net, disc, str(seg_path), str(d_path)


def test_convert_and_load_into_dda_and_segmentor(ref_files, tmp_path,
                                                 capsys):
    net, disc, seg_path, d_path = ref_files
    out = str(tmp_path / 'converted.pth')
    rc = load_tool(TOOL).main([seg_path, out, '--num-classes', str(C),
                               '--discriminator', d_path, '--depth', '50'])
    assert rc == 0
    text = capsys.readouterr().out
    assert 'missing keys: 0' in text and 'unexpected keys' in text
    ckpt = torch.load(out, weights_only=True)
    assert set(ckpt) == {'meta', 'state_dict'}
    assert ckpt['meta']['num_classes'] == C
    sd = ckpt['state_dict']
    assert 'segmentor.density_head.conv1.weight' in sd
    assert not any('enc4_4' in k or 'dec4' in k or 'conv4' in k for k in sd)
    assert all(k.startswith(('segmentor.', 'discriminator.')) for k in sd)

    init_default_scope('mmseg')
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref_seg, ref_den, ref_dep = net(x)
        dda = MODELS.build(tiny_dda_cfg(C, seg_cfg()))
        load_checkpoint(dda, out, strict=True)
        dda.eval()
        heads = dda.segmentor.forward_heads(x)
        torch.testing.assert_close(heads['seg_logits'], ref_seg)
        torch.testing.assert_close(heads['density'], ref_den)
        torch.testing.assert_close(heads['depth'], ref_dep)
        m = torch.rand(1, C, 64, 64)
        torch.testing.assert_close(dda.discriminator(m), disc(m))

        seg = MODELS.build(seg_cfg())  # self-training start (load_from)
        load_checkpoint(seg, out, strict=True)
        seg.eval()
        torch.testing.assert_close(seg.forward_heads(x)['seg_logits'],
                                   ref_seg)


def test_keep_unused_strict_round_trip(ref_files, tmp_path):
    net, _, seg_path, _ = ref_files
    out = str(tmp_path / 'full.pth')
    assert load_tool(TOOL).main(
        [seg_path, out, '--keep-unused', '--depth', '50']) == 0
    sd = torch.load(out, weights_only=True)['state_dict']
    assert len(sd) == len(net.state_dict())
    init_default_scope('mmseg')
    seg = MODELS.build(seg_cfg(with_unused=True))
    load_checkpoint(seg, out, strict=True)
    torch.testing.assert_close(seg.density_head.conv4.weight,
                               net.enc4_4.weight)
    torch.testing.assert_close(seg.density_head.dec.bias, net.dec4.bias)


def test_num_classes_mismatch_and_missing_keys(ref_files, tmp_path, capsys):
    net, _, seg_path, _ = ref_files
    tool = load_tool(TOOL)
    out = tmp_path / 'x.pth'
    assert tool.main([seg_path, str(out), '--num-classes', '16',
                      '--depth', '50']) == 1
    assert 'checkpoint has 7 classes, expected 16' in capsys.readouterr().err
    with pytest.raises(ValueError, match='checkpoint has 7 classes, '
                       'expected 16'):
        convert_segnet_state_dict(net.state_dict(), num_classes=16, depth=50)
    # Wrong depth (101): layer3 blocks 6..22 are missing, 17 blocks x 15
    # keys without num_batches_tracked -> refused, nothing written.
    assert tool.main([seg_path, str(out)]) == 1
    text = capsys.readouterr().out
    assert 'missing keys: 255' in text and 'layer3.6.conv1.weight' in text
    assert not out.exists()
    # A shape mismatch is reported too.
    sd = net.state_dict()
    sd['enc5_3.bias'] = torch.zeros(3)
    _, report = convert_segnet_state_dict(sd, depth=50)
    assert report.shape_mismatches == [('enc5_3.bias', (3, ), (PROJ, ))]
    assert not report.ok
    # Missing num_batches_tracked is tolerated.
    sd = {k: v for k, v in net.state_dict().items()
          if 'num_batches_tracked' not in k}
    _, report = convert_segnet_state_dict(sd, depth=50)
    assert report.missing == [] and report.unexpected == []


def test_imagenet_conversion(tmp_path):
    net = randomised(RefNet())
    backbone_keys = [k for k in net.state_dict()
                     if k.startswith(('conv1', 'bn1', 'layer1', 'layer2',
                                      'layer3', 'layer4'))
                     and 'num_batches_tracked' not in k]
    src = {f'Scale.{k}': net.state_dict()[k] for k in backbone_keys}
    src['Scale.layer5.conv2d_list.0.weight'] = torch.zeros(2, FEAT, 3, 3)
    src_path, out = tmp_path / 'imagenet.pth', tmp_path / 'r.pth'
    torch.save(src, src_path)  # bare state dict, like the ADVENT file
    tool = load_tool(TOOL)
    assert tool.main([str(src_path), str(out), '--kind', 'imagenet',
                      '--plain', '--depth', '50']) == 0
    sd = torch.load(out, weights_only=True)['state_dict']
    assert set(sd) == set(backbone_keys)
    init_default_scope('mmseg')
    backbone = MODELS.build(
        tiny_backbone_cfg(BASE, STEM, init_cfg=dict(type='Pretrained',
                                                    checkpoint=str(out))))
    backbone.init_weights()
    torch.testing.assert_close(backbone.layer3[5].conv2.weight,
                               net.layer3[5].conv2.weight)
    # Default prefix: segmentor.backbone.* for load_from into DDA.
    assert tool.main([str(src_path), str(out), '--kind', 'imagenet',
                      '--depth', '50']) == 0
    sd = torch.load(out, weights_only=True)['state_dict']
    assert all(k.startswith('segmentor.backbone.') for k in sd)


def test_discriminator_kind_and_bad_input(ref_files, tmp_path, capsys):
    _, disc, _, d_path = ref_files
    out = tmp_path / 'd_out.pth'
    tool = load_tool(TOOL)
    assert tool.main([d_path, str(out), '--kind', 'discriminator',
                      '--num-classes', str(C)]) == 0
    sd = torch.load(out, weights_only=True)['state_dict']
    assert set(sd) == {f'discriminator.{k}' for k in disc.state_dict()}
    bad = tmp_path / 'bad.pth'
    torch.save({'model': [1, 2]}, bad)
    assert tool.main([str(bad), str(out)]) == 1
    assert 'bad.pth' in capsys.readouterr().err
