"""Bad-input catalogue (docs/bad_inputs.md): one test per entry, each
checking the exact error (or report) a user sees."""
import logging
import os
from pathlib import Path
from typing import Tuple

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmseg.registry import HOOKS, MODELS
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint.reference import reference_segnet_layout
from mmseg_dda.checkpoint import read_checkpoint
from mmseg_dda.datasets import (CityscapesUDADataset, MapillaryUDADataset,
                                SynthiaDataset, feature_grid_size)
from mmseg_dda.models.uda.dda import NonFiniteLossError
from robustness_helpers import write_gmm_json, write_tiny_dda_config

from _helpers import copy_tree, load_tool

LOAD = dict(type='LoadImageFromFile', imdecode_backend='pillow')


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


# -- datasets --------------------------------------------------------------
def test_missing_dataset_root(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'(?s)^SynthiaDataset: data_root not found: '
                       r'.*nowhere\nExpected layout:\n.*RGB/'):
        SynthiaDataset(str(tmp_path / 'nowhere'))


def _refused_without(toy: dict, tmp_path: Path, name: str, match: str):
    """A copy of the toy SYNTHIA tree without the file ``name`` (relative to
    its root) is refused, with ``match``, when the dataset is built."""
    root = copy_tree(toy['synthia'], tmp_path / 'syn')
    os.remove(root / name)
    with pytest.raises(FileNotFoundError, match=match):
        SynthiaDataset(str(root))


def test_image_without_label(toy_data_root, tmp_path):
    _refused_without(
        toy_data_root, tmp_path, 'parsed_LABELS/0000004.png',
        r'^SynthiaDataset: image .*RGB/0000004.png has no label: expected '
        r'.*parsed_LABELS/0000004.png$')


def test_image_without_depth(toy_data_root, tmp_path):
    _refused_without(
        toy_data_root, tmp_path, 'Depth/0000003.png',
        r'^SynthiaDataset: image .*RGB/0000003.png has no depth map: '
        r'expected .*Depth/0000003.png$')


def _synthia_label(toy: dict, tmp_path: Path,
                   index: int) -> Tuple[Path, Path]:
    """A private copy of the toy SYNTHIA tree and its label ``index``.

    Returns:
        tuple: The copy's root and the label's path (to damage).
    """
    root = copy_tree(toy['synthia'], tmp_path / 'syn')
    return root, root / 'parsed_LABELS' / f'{index:07d}.png'


def _with_labels(root: Path) -> SynthiaDataset:
    """The SYNTHIA tree at ``root``, loading images and labels (no depth)."""
    return SynthiaDataset(str(root), with_depth=False, pipeline=[
        LOAD, dict(type='LoadMappedAnnotations')])


def _truncated_image_refused(ds, index: int, name: str) -> None:
    """Truncate the image of sample ``index`` of ``ds``: loading the sample
    names the dataset (``name``), the sample and the image."""
    img = Path(ds.get_data_info(index)['img_path'])
    _truncate(img)
    with pytest.raises(OSError,
                       match=rf'^{name}: cannot load sample {index} '
                       rf'\(image {img}\): image file is truncated'):
        ds[index]


def test_mismatched_label_size(toy_data_root, tmp_path):
    root, label = _synthia_label(toy_data_root, tmp_path, 0)
    Image.fromarray(np.full((20, 30), 3, np.uint8)).save(label)
    ds = _with_labels(root)
    with pytest.raises(ValueError,
                       match=r'^Label .*0000000.png has size \(20, 30\) '
                       r'\(H, W\) but the image .*RGB/0000000.png has size '
                       r'\[\(76, 128\)\]$'):
        ds[0]


def test_truncated_png_image(toy_data_root, tmp_path):
    root = copy_tree(toy_data_root['cityscapes'], tmp_path / 'city')
    ds = CityscapesUDADataset(str(root), split='val', ann_file='',
                              pipeline=[LOAD])
    _truncated_image_refused(ds, 0, 'CityscapesUDADataset')


def test_truncated_jpeg_image(toy_data_root, tmp_path):
    root = copy_tree(toy_data_root['mapillary'], tmp_path / 'map')
    ds = MapillaryUDADataset(str(root), split='validation', num_classes=7,
                             ann_file='', pipeline=[LOAD])
    assert Path(ds.get_data_info(1)['img_path']).suffix == '.jpg'
    _truncated_image_refused(ds, 1, 'MapillaryUDADataset')


def test_truncated_label_png(toy_data_root, tmp_path):
    root, label = _synthia_label(toy_data_root, tmp_path, 2)
    _truncate(label)
    ds = _with_labels(root)
    with pytest.raises(OSError,
                       match=r'^SynthiaDataset: cannot load sample 2 \(image '
                       r'.*RGB/0000002.png\): Cannot read label file '
                       rf'{label}: image file is truncated'):
        ds[2]


def test_label_ids_out_of_range(toy_data_root, tmp_path):
    root, label = _synthia_label(toy_data_root, tmp_path, 1)
    raw = np.array(Image.open(label))
    raw[:4, :5] = 200  # not a SYNTHIA id
    Image.fromarray(raw).save(label)
    ds = _with_labels(root)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_instance('bad_inputs_label_ids')
    logger.addHandler(handler)
    try:
        out = ds[1]
    finally:
        logger.removeHandler(handler)
    assert (out['gt_seg_map'][:4, :5] == 255).all()
    warnings = [r.getMessage() for r in records
                if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0] == (
        f'{label}: unexpected label ids {{id: pixels}} {{200: 20}} were '
        'mapped to 255 (reported once per dataset; later occurrences are '
        'counted silently)')


def test_empty_split_list(toy_data_root, tmp_path):
    split = tmp_path / 'empty.txt'
    split.write_text('\n  \n')
    with pytest.raises(ValueError,
                       match=rf'^Split list {split} is empty: expected one '
                       'image name per line.$'):
        SynthiaDataset(toy_data_root['synthia'], ann_file=str(split))


# -- model / checkpoints -----------------------------------------------------
def _tiny_7cls_config(folder: Path, toy: dict) -> Path:
    """The tiny DDA config with 7 classes and a test loader."""
    grid = feature_grid_size((56, 96))
    gmm7 = write_gmm_json(folder / 'gmm7.json', 7, grid)
    test_pipeline = [LOAD, dict(type='LoadMappedAnnotations'),
                     dict(type='ResizeWithPad', scale=(96, 56),
                          keep_ratio=False, scale_label=False),
                     dict(type='PackDDAInputs')]
    extra = f'''
model = dict(
    segmentor=dict(decode_head=dict(num_classes=7)),
    discriminator=dict(in_channels=7),
    density=dict(params={str(gmm7)!r}, num_classes=7))
train_dataloader = dict(dataset=dict(source=dict(num_classes=7),
                                     target=dict(num_classes=7)))
test_dataloader = dict(
    _delete_=True,
    batch_size=1, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CityscapesUDADataset', data_root={toy['cityscapes']!r},
                 split='val', num_classes=7, ann_file='',
                 pipeline={test_pipeline!r}))
test_cfg = dict(_delete_=True, type='TestLoop')
test_evaluator = dict(_delete_=True, type='UDAIoUMetric')
'''
    sub = folder / 'c7'
    sub.mkdir()
    base = write_tiny_dda_config(sub, toy)
    path = sub / 'tiny_dda_7cls.py'
    path.write_text(f'_base_ = [{str(base)!r}]\n' + extra)
    return path


def test_7class_config_with_16class_gmm(toy_data_root, tmp_path):
    cfg = Config.fromfile(str(_tiny_7cls_config(tmp_path, toy_data_root)))
    cfg.model.density.params = str(tmp_path / 'c7' / 'gmm_tiny.json')  # 16
    init_default_scope('mmseg')
    with pytest.raises(ValueError,
                       match=r"^GMM parameter set 'toy' \(.*/gmm_tiny.json\) "
                       'has 16 classes but the model has 7 classes$'):
        MODELS.build(cfg.model)


def test_convert_reference_checkpoint_wrong_num_classes(tmp_path, capsys):
    layout = reference_segnet_layout(16, depth=50, stem_channels=4,
                                     base_channels=2, head_channels=8,
                                     proj_channels=4)
    torch.manual_seed(0)
    src = tmp_path / 'model_90000.pth'
    torch.save({'model': {k: torch.randn(s) if s else torch.tensor(3)
                          for k, s in layout.items()}}, src)
    out = tmp_path / 'converted.pth'
    tool = load_tool('convert_reference_checkpoint')
    assert tool.main([str(src), str(out), '--num-classes', '7',
                      '--depth', '50']) == 1
    assert capsys.readouterr().err.strip() == (
        'error: segmentation network: checkpoint has 16 classes, expected 7')
    assert not out.exists()


def test_16class_checkpoint_into_7class_model_via_test_tool(
        toy_data_root, tmp_path):
    cfg16 = Config.fromfile(str(write_tiny_dda_config(tmp_path,
                                                      toy_data_root)))
    init_default_scope('mmseg')
    ckpt = tmp_path / 'dda16.pth'
    torch.save(dict(state_dict=MODELS.build(cfg16.model).state_dict(),
                    meta=dict()), ckpt)
    cfg7 = _tiny_7cls_config(tmp_path, toy_data_root)
    with pytest.raises(ValueError,
                       match=r'^DepthDensitySegmentor: the checkpoint does '
                       r'not fit the model \(7 classes\): 8 tensors have '
                       r'other shapes, e\.g\. segmentor\.decode_head\.'
                       r'conv2d_list\.0\.weight: checkpoint \(16, 64, 3, 3\)'
                       r' vs model \(7, 64, 3, 3\)\. Check num_classes'):
        load_tool('test').main([str(cfg7), str(ckpt), '--work-dir',
                                str(tmp_path / 'work')])


class _Boom:
    """Unpickling this object would create a file (code execution)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path), ))


def test_pickle_checkpoint_refused_by_test_tool(toy_data_root, tmp_path):
    cfg7 = _tiny_7cls_config(tmp_path, toy_data_root)
    pwned = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=_Boom(str(pwned))), ckpt)
    from mmseg_dda.checkpoint import CheckpointFileError
    with pytest.raises(CheckpointFileError,
                       match=rf'^Refusing to load {ckpt}: it is not a plain '
                       r'weights file and loading it would run pickled '
                       r'code \(getattr\)'):
        load_tool('test').main([str(cfg7), str(ckpt), '--work-dir',
                                str(tmp_path / 'work')])
    assert not pwned.exists()


@HOOKS.register_module(force=True)
class _NaNWeightsAt(Hook):
    """Poisons the segmentation head before iteration ``at`` (0-based)."""

    def __init__(self, at: int):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            with torch.no_grad():
                runner.model.segmentor.decode_head.conv2d_list[0].bias.fill_(
                    float('nan'))


def test_nan_loss_stops_training(toy_data_root, tmp_path):
    cfg = write_tiny_dda_config(
        tmp_path, toy_data_root,
        "custom_hooks = [dict(type='PlainCheckpointHook'), "
        "dict(type='_NaNWeightsAt', at=2)]\n")
    work = tmp_path / 'work'
    with pytest.raises(NonFiniteLossError,
                       match=r'^DDA\.train_step: non-finite loss at '
                       r'iteration 2: src\.loss_seg=nan, .*tgt\.loss_adv='
                       r'nan.* \(gradients cleared, no optimiser step '
                       r'taken\)$'):
        load_tool('train').main([str(cfg), '--work-dir', str(work)])
    # Only the checkpoint before the failure exists, and it is finite.
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    state = read_checkpoint(str(work / 'iter_2.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values()
               if v.is_floating_point())


def test_unwritable_work_dir(tiny_dda_config, tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    work = blocker / 'work'
    train = load_tool('train')
    with pytest.raises(PermissionError,
                       match=rf"^work directory '{work}' is not writable "
                       r'\(Not a directory\); choose another one with '
                       r'--work-dir$'):
        train.main([str(tiny_dda_config), '--work-dir', str(work)])
