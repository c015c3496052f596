"""End-to-end test of tools/gen_pseudo_labels.py with a tiny fake model.

The fake segmentor's logits (``_fake_models.FakeColourSegmentor``) are
``scale * avgpool8(image)``, one class per BGR channel, so the expected
pseudo-label follows from the image colours.
"""
import mmseg_dda  # noqa: F401

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmseg.registry import DATASETS
from PIL import Image

from mmseg_dda.pseudo_labels import load_pseudo_label, make_pseudo_label

# Also registers FakeColourSegmentor, FakeDDA and FakeColourDataset.
from _fake_models import FAKE_PREPROCESSOR
from _helpers import REPO, load_tool
from _tiny_models import save_untrained, tiny_backbone_cfg


def _setup(tmp_path, model_type, ckpt_keys):
    data = tmp_path / 'data'
    data.mkdir()
    for k in range(3):
        img = np.zeros((32, 64, 3), np.uint8)
        img[:, :32, 2] = 255   # RGB: left half blue -> class 0 (B channel)
        img[:, 32:, 0] = 255   # right half red -> class 2 (R channel)
        Image.fromarray(img).save(data / f'img{k}.png')
    cfg = tmp_path / 'cfg.py'
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
    cfg.write_text(
        "default_scope = 'mmseg'\n"
        f'model = dict(type={model_type!r}, '
        f'data_preprocessor={FAKE_PREPROCESSOR!r})\n'
        f"train_dataloader = dict(dataset=dict(type='X', target=dict("
        f"type='FakeColourDataset', data_root={str(data)!r}, "
        f'pipeline={pipeline!r})))\n'
        f"pseudo_label_cfg = dict(threshold=0.9, min_count=[1, 1, 1], "
        f"out_dir={str(tmp_path / 'pl')!r})\n")
    ckpt = tmp_path / 'ckpt.pth'
    # scale 0.02: logit gap 5.1 away from the boundary (conf 0.988).
    torch.save(dict(state_dict={k: torch.tensor(0.02) for k in ckpt_keys},
                    meta=dict()), ckpt)
    return str(cfg), str(ckpt)


@pytest.mark.parametrize('model_type,keys', [
    ('FakeColourSegmentor', ['scale']),
    ('FakeDDA', ['segmentor.scale', 'discriminator.weight'])])
def test_generates_expected_labels_and_resumes(tmp_path, model_type, keys):
    tool = load_tool('gen_pseudo_labels')
    cfg, ckpt = _setup(tmp_path, model_type, keys)
    stats = tool.main([cfg, ckpt, '--num-workers', '0', '--device', 'cpu'])
    assert stats.images == 3
    files = sorted(p.name for p in (tmp_path / 'pl').iterdir())
    assert files == [f'img{k}.png.png' for k in range(3)] + ['manifest.json']
    label = load_pseudo_label(str(tmp_path / 'pl' / 'img0.png.png'))
    assert label.shape == (32, 64) and label.dtype == np.uint8
    # Weights were loaded (scale 0 would give conf 1/3 -> all 255).
    assert (label[:, :20] == 0).all() and (label[:, -20:] == 2).all()
    # Near the colour boundary both classes are close: below 0.9 -> 255.
    assert (label[:, 28:36] == 255).any()
    assert not (label == 1).any()
    # Resume: nothing left to do, files untouched.
    mtime = os.path.getmtime(tmp_path / 'pl' / 'img0.png.png')
    stats = tool.main([cfg, ckpt, '--num-workers', '0', '--device', 'cpu'])
    assert stats.images == 0
    assert os.path.getmtime(tmp_path / 'pl' / 'img0.png.png') == mtime


def test_flags_override_config(tmp_path):
    tool = load_tool('gen_pseudo_labels')
    cfg, ckpt = _setup(tmp_path, 'FakeColourSegmentor', ['scale'])
    out = tmp_path / 'tiff'
    stats = tool.main([cfg, ckpt, '--out', str(out), '--format', 'tiff',
                       '--min-count', '100000', '1', '1', '--split', '2',
                       '--num-workers', '0', '--device', 'cpu'])
    assert stats.images == 2  # --split overrides ann_file (2 images here)
    label = load_pseudo_label(str(out / 'img1.png.tiff'))
    # The class-0 component is smaller than 100000 -> removed.
    assert not (label == 0).any() and (label == 2).any()
    with pytest.raises(ValueError, match='min_count has 2 values'):
        tool.main([cfg, ckpt, '--min-count', '1', '1', '--device', 'cpu'])


def test_wrong_checkpoint_is_rejected(tmp_path):
    tool = load_tool('gen_pseudo_labels')
    cfg, ckpt = _setup(tmp_path, 'FakeColourSegmentor', ['other'])
    from mmseg_dda.checkpoint import IncompleteCheckpointError
    with pytest.raises(
            IncompleteCheckpointError,
            match=r'ckpt\.pth does not fit the FakeColourSegmentor'):
        tool.main([cfg, ckpt, '--num-workers', '0', '--device', 'cpu'])
    assert not (tmp_path / 'pl').exists()  # refused before any output


def test_real_dda_config_on_toy_data_feeds_self_training(tmp_path,
                                                         toy_data_root):
    """The shipped stage-1 config (tiny backbone) on the toy Cityscapes
    tree: the written files are read back by the self-training dataset."""
    from mmengine.config import Config

    city = toy_data_root['cityscapes']
    cfg_path = tmp_path / 'stage1.py'
    small = (64, 38)  # (W, H): 5x8 feature grid
    pipeline = [dict(type='LoadImageFromFile', imdecode_backend='pillow'),
                dict(type='ResizeWithPad', scale=small, keep_ratio=False),
                dict(type='PackDDAInputs')]
    tiny = tiny_backbone_cfg(init_cfg=None)
    cfg_path.write_text(
        f"_base_ = [{str(REPO / 'configs/dda/syn2city_16cls.py')!r}]\n"
        f"model = dict(segmentor=dict(backbone=dict(_delete_=True, **{tiny!r}),"
        ' decode_head=dict(in_channels=64), depth_head=dict(in_channels=64),'
        ' density_head=dict(in_channels=64)))\n'
        'train_dataloader = dict(dataset=dict(target=dict('
        f"data_root={city!r}, ann_file={city + '/train.txt'!r}, "
        f'pipeline={pipeline!r})))\n'
        "pseudo_label_cfg = dict(min_count=[2] * 16)\n")
    cfg = Config.fromfile(str(cfg_path))
    ckpt = tmp_path / 'dda.pth'
    model = save_untrained(cfg.model, ckpt)

    out = tmp_path / 'pl'
    stats = load_tool('gen_pseudo_labels').main([
        str(cfg_path), str(ckpt), '--out', str(out), '--threshold', '0.01',
        '--num-workers', '0', '--device', 'cpu'])
    assert stats.images == 4
    # Same computation by hand for the first image.
    dataset = DATASETS.build(cfg.train_dataloader.dataset.target)
    data = model.data_preprocessor(pseudo_collate([dataset[0]]), False)
    model.eval()  # the tool runs in eval mode (BN running statistics)
    with torch.no_grad():
        logits = model.segmentor.forward_heads(data['inputs'])['seg_logits']
    expected, _ = make_pseudo_label(logits[0], (38, 64), 0.01, [2] * 16)
    img0 = Path(dataset.get_data_info(0)['img_path']).name
    np.testing.assert_array_equal(
        load_pseudo_label(str(out / f'{img0}.png')), expected)

    selftrain = DATASETS.build(dict(
        type='CityscapesUDADataset', data_root=city, split='train',
        num_classes=16, ann_file=city + '/train.txt',
        pseudo_label_dir=str(out),
        pipeline=pipeline[:2] + [dict(type='LoadMappedAnnotations'),
                                 dict(type='PackDDAInputs')]))
    gt = selftrain[0]['data_samples'].gt_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(gt, expected)
