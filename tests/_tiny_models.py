"""Tiny DDA and segmentor checkpoints for the inference tests.

Built in-process from the tiny DDA config of :mod:`_helpers` (randomly
initialised, no training needed): a DDA checkpoint as ``tools/train.py``
writes it (``meta.dataset_meta`` included) and a self-training style
segmentor checkpoint without class names (as converted reference files).

The module fixtures ``tiny`` and ``val_images`` serve the API and the CLI
inference tests; a test module imports them to use them.
"""
import glob
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from _helpers import write_tiny_setup


@pytest.fixture(scope='module')
def tiny(tiny_checkpoints) -> Dict[str, str]:
    """The session's tiny checkpoints (``tiny_checkpoints`` of conftest)."""
    return tiny_checkpoints


@pytest.fixture(scope='module')
def val_images(tiny) -> List[str]:
    """The toy Cityscapes val images of :func:`tiny`, sorted."""
    return sorted(glob.glob(
        osp.join(tiny['cityscapes'], 'leftImg8bit', 'val', '*', '*.png')))


def make_tiny_checkpoints(tmp: Path) -> Dict[str, str]:
    """Toy data, tiny configs and checkpoints.

    Returns:
        dict: ``dda_config``, ``dda_ckpt``, ``seg_config``, ``seg_ckpt`` and
        the toy roots (``cityscapes``, ``mapillary``, ...).
    """
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from mmseg_dda.datasets.class_mappings import class_names, class_palette

    tiny = write_tiny_setup(tmp)
    dda_config = tiny.pop('config')
    roots = {k: v for k, v in tiny.items() if k != 'gmm'}

    cfg = Config.fromfile(dda_config)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # Random init predicts one class everywhere; larger classifier weights
    # give spatially varied label maps, so comparisons are not trivial.
    with torch.no_grad():
        for name, param in model.segmentor.decode_head.named_parameters():
            if param.dim() > 1:
                param.normal_(0, 1.0)
            else:
                param.zero_()
    meta = dict(dataset_meta=dict(classes=class_names(16),
                                  palette=class_palette(16)))
    dda_ckpt = str(tmp / 'tiny_dda.pth')
    torch.save(dict(meta=meta, state_dict=model.state_dict()), dda_ckpt)

    # Self-training layout: the segmentor alone, with the preprocessor.
    seg_cfg = Config.fromfile(dda_config)
    seg = dict(seg_cfg.model.segmentor)
    seg['data_preprocessor'] = seg_cfg.model.data_preprocessor
    seg_cfg.model = seg
    seg_config = str(tmp / 'tiny_seg.py')
    seg_cfg.dump(seg_config)
    seg_ckpt = str(tmp / 'tiny_seg.pth')
    torch.save(dict(meta=dict(converted_from='test'),
                    state_dict=model.segmentor.state_dict()), seg_ckpt)
    return dict(dda_config=dda_config, dda_ckpt=dda_ckpt,
                seg_config=seg_config, seg_ckpt=seg_ckpt, **roots)


def save_untrained(model_cfg: dict, path: Path, seed: int = 0,
                   meta: Optional[dict] = None):
    """Build ``model_cfg`` under torch seed ``seed`` and save its checkpoint.

    The weights are the modules' constructor initialisation
    (``init_weights`` is not called): a valid checkpoint of the model for
    tests of the tools that read one.

    Args:
        model_cfg (dict): The model config (``cfg.model``).
        path (Path): Checkpoint file to write.
        seed (int): Torch seed of the initialisation. Defaults to 0.
        meta (dict, optional): The checkpoint's ``meta``. Defaults to ``{}``.

    Returns:
        The built model.
    """
    import torch
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict() if meta is None else meta), path)
    return model
