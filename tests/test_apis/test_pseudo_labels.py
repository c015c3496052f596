"""STEP 3 as a function: :func:`mmseg_dda.apis.generate_pseudo_labels`."""
import mmseg_dda  # noqa: F401

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmseg_dda.apis import generate_pseudo_labels
from mmseg_dda.pseudo_labels import load_pseudo_label
from mmseg_dda.utils.provenance import StaleOutputError

# Also registers FakeColourSegmentor (predicts from the image colours) and
# FakeColourDataset.
from _fake_models import FAKE_PREPROCESSOR


def _setup(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    for k in range(2):
        img = np.zeros((16, 32, 3), np.uint8)
        img[:, :16, 2] = 255  # RGB blue -> class 0 (B channel)
        Image.fromarray(img).save(data / f'img{k}.png')
    cfg = Config(dict(
        default_scope='mmseg', work_dir=str(tmp_path / 'work'),
        model=dict(type='FakeColourSegmentor',
                   data_preprocessor=FAKE_PREPROCESSOR),
        train_dataloader=dict(dataset=dict(target=dict(
            type='FakeColourDataset', data_root=str(data),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='PackSegInputs')])))))
    ckpt = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=dict(scale=torch.tensor(0.02))), ckpt)
    return cfg, str(ckpt)


def test_config_object_default_folder_and_stale_rerun(tmp_path):
    cfg, ckpt = _setup(tmp_path)
    stats = generate_pseudo_labels(cfg, ckpt, threshold=0.5, num_workers=0,
                                   device='cpu')
    assert stats.images == 2
    out = tmp_path / 'work' / 'pseudo_labels'  # <work_dir>/pseudo_labels
    label = load_pseudo_label(str(out / 'img0.png.png'))
    assert (label[:, :8] == 0).all()
    # Other inputs: the library raises (the tool turns it into an exit).
    with pytest.raises(StaleOutputError, match='threshold: old 0.5 vs new '
                       '0.9'):
        generate_pseudo_labels(cfg, ckpt, threshold=0.9, num_workers=0,
                               device='cpu')
    assert generate_pseudo_labels(cfg, ckpt, threshold=0.9, num_workers=0,
                                  device='cpu', overwrite=True).images == 2
