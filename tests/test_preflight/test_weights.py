"""Weights: a missing or partial ImageNet checkpoint, load_from, the
pseudo-labels of another checkpoint."""
import torch

import mmseg_dda  # noqa: F401
from mmseg_dda.preflight import run_preflight
from mmseg_dda.preflight.report import OK
from mmseg_dda.preflight.weights import (check_load_from,
                                         check_pseudo_label_source)

from _preflight_rows import only_failure, rows


def _backbone_state(cfg):
    from mmseg.registry import MODELS
    bb = dict(cfg.model.segmentor.backbone)
    bb.pop('init_cfg', None)
    return MODELS.build(bb).state_dict()


def _with_imagenet(cfg, path):
    cfg.imagenet_checkpoint = str(path)
    cfg.model.segmentor.backbone.init_cfg = dict(type='Pretrained',
                                                 checkpoint=str(path))


def test_imagenet_checkpoint_fills_the_backbone(tiny_cfg, tmp_path):
    path = tmp_path / 'imagenet.pth'
    torch.save(_backbone_state(tiny_cfg), path)
    _with_imagenet(tiny_cfg, path)
    report = run_preflight(tiny_cfg)
    assert report.ok, report.table()
    row = rows(report, 'weights')[0]
    assert row.status == OK and row.detail.startswith(
        f'{path}: loads with weights_only=True, fills all ')


def test_missing_imagenet_checkpoint(tiny_cfg, tmp_path):
    _with_imagenet(tiny_cfg, tmp_path / 'nowhere.pth')
    row = only_failure(run_preflight(tiny_cfg))
    assert (row.group, row.name) == ('weights', 'ImageNet checkpoint')
    assert row.detail.startswith(
        f'ImageNet initialisation {tmp_path / "nowhere.pth"} not found')
    assert 'convert_reference_checkpoint.py' in row.fix


def test_partial_imagenet_checkpoint(tiny_cfg, tmp_path):
    state = _backbone_state(tiny_cfg)
    drop = [k for k in state if k.startswith('layer4.')]
    for k in drop:
        del state[k]
    path = tmp_path / 'partial.pth'
    torch.save(state, path)
    _with_imagenet(tiny_cfg, path)
    row = only_failure(run_preflight(tiny_cfg))
    n = len([k for k in drop if not k.endswith('num_batches_tracked')])
    assert row.name == 'ImageNet checkpoint'
    assert row.detail.startswith(
        f'{path} does not fill model.segmentor.backbone: {n} of ')
    assert 'layer4.' in row.detail


def test_missing_load_from(tiny_cfg, tmp_path):
    tiny_cfg.load_from = str(tmp_path / 'stage1.pth')
    row = only_failure(run_preflight(tiny_cfg))
    assert row.detail.startswith(f'load_from={tmp_path / "stage1.pth"}: no '
                                 'such checkpoint')


def test_pseudo_labels_name_their_checkpoint(tiny_checkpoints, tmp_path):
    """The identity STEP 3 records is recomputed from load_from: equal for
    the checkpoint that made the labels, refused for another one."""
    from mmengine.config import Config

    from _tiny_models import build_tiny
    from mmseg_dda.apis import generate_pseudo_labels
    out = tmp_path / 'pl'
    generate_pseudo_labels(tiny_checkpoints['dda_config'],
                           tiny_checkpoints['dda_ckpt'], out=str(out),
                           device='cpu', num_workers=0)
    cfg = Config.fromfile(tiny_checkpoints['dda_config'])
    cfg.train_dataloader = dict(dataset=dict(
        type='CityscapesUDADataset', pseudo_label_dir=str(out)))
    same, state = check_load_from(cfg, tiny_checkpoints['dda_ckpt'])
    assert same[0].status == OK
    row = check_pseudo_label_source(cfg, tiny_checkpoints['dda_ckpt'],
                                    state)[0]
    assert row.status == OK, row.detail
    other = tmp_path / 'other.pth'
    torch.manual_seed(1)
    torch.save(dict(state_dict=build_tiny(cfg.model).state_dict()), other)
    _, state = check_load_from(cfg, str(other))
    row = check_pseudo_label_source(cfg, str(other), state)[0]
    assert row.blocking
    assert row.detail.startswith(
        f'the pseudo-labels in {out} were made by other weights: '
        f'{tiny_checkpoints["dda_ckpt"]} (SHA-256 ')
    assert row.fix.startswith('regenerate them from this checkpoint: '
                              f'tools/gen_pseudo_labels.py STAGE1_CONFIG '
                              f'{other} --out {out} --overwrite')
