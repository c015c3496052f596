"""Tiny DDA and segmentor checkpoints for the inference tests.

Built in-process from the tiny DDA config of :mod:`_helpers` (randomly
initialised, no training needed): a DDA checkpoint as ``tools/train.py``
writes it (``meta.dataset_meta`` included) and a self-training style
segmentor checkpoint without class names (as converted reference files).
"""
from pathlib import Path
from typing import Dict

from _helpers import write_tiny_setup


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
