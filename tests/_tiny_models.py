"""Tiny DDA and segmentor models, configs and checkpoints for the tests.

* :func:`tiny_backbone_cfg`, :func:`tiny_segmentor_cfg`,
  :func:`tiny_dda_cfg`: the model dicts of the unit tests, a narrow
  DeepLabV2ResNet (ResNet-50 depth) with small heads; :func:`build_tiny`
  builds one under a fixed seed.
* :func:`make_tiny_checkpoints`: built in-process from the tiny DDA config
  of :mod:`_helpers` (randomly initialised, no training needed): a DDA
  checkpoint as ``tools/train.py`` writes it (``meta.dataset_meta``
  included) and a self-training style segmentor checkpoint without class
  names (as converted reference files); the session fixtures
  ``tiny_checkpoints`` and ``val_images`` of ``conftest.py`` serve them.
* :func:`save_untrained`: a checkpoint of any model config.
"""
from pathlib import Path
from typing import Dict, Optional

from _helpers import write_tiny_setup


def tiny_backbone_cfg(width: int = 2, stem_channels: int = 4,
                      **overrides) -> dict:
    """A DeepLabV2ResNet of ResNet-50 depth with ``width`` base channels
    (layer4: ``width * 32`` channels).

    Args:
        width (int): Base channels. Defaults to 2.
        stem_channels (int): Stem channels. Defaults to 4.
        **overrides: Further backbone arguments (e.g. ``init_cfg``).
    """
    return dict(type='DeepLabV2ResNet', depth=50,
                stem_channels=stem_channels, base_channels=width,
                **overrides)


def tiny_segmentor_cfg(num_classes: int, width: int = 2, channels: int = 8,
                       proj_channels: int = 4, aux_heads: bool = True,
                       backbone: Optional[dict] = None) -> dict:
    """A DepthDensitySegmentor on :func:`tiny_backbone_cfg`.

    Args:
        num_classes (int): Classes of the DeepLab-v2 head.
        width (int): Base channels of the backbone. Defaults to 2.
        channels (int): Channels of the depth and density heads.
        proj_channels (int): Projection channels of those heads.
        aux_heads (bool): With the depth and density heads; without, the
            segmentation branch alone. Defaults to True.
        backbone (dict, optional): Further backbone arguments.

    Returns:
        dict: A fresh config (callers may change it).
    """
    feat = width * 32
    cfg = dict(
        type='DepthDensitySegmentor',
        backbone=tiny_backbone_cfg(width, **(backbone or {})),
        decode_head=dict(type='DeepLabV2Head', in_channels=feat,
                         num_classes=num_classes))
    if aux_heads:
        heads = dict(in_channels=feat, channels=channels,
                     proj_channels=proj_channels)
        cfg.update(depth_head=dict(type='DepthHead', **heads),
                   density_head=dict(type='DensityHead', **heads))
    return cfg


def tiny_dda_cfg(num_classes: int, segmentor: Optional[dict] = None,
                 **overrides) -> dict:
    """A DDA model: ``segmentor`` (default :func:`tiny_segmentor_cfg`), a
    4-channel discriminator and the built-in ``c<num_classes>`` GMM set.

    Args:
        num_classes (int): 7 or 16 (the built-in sets ``c7`` / ``c16``).
        segmentor (dict, optional): The segmentor config.
        **overrides: Further DDA arguments (e.g. ``loss_weights``).

    Returns:
        dict: A fresh config (callers may change it).
    """
    cfg = dict(
        type='DDA',
        segmentor=segmentor or tiny_segmentor_cfg(num_classes),
        discriminator=dict(type='FCDiscriminator', in_channels=num_classes,
                           channels=(4, 4, 4, 4)),
        density=dict(type='GMMDensity', params=f'c{num_classes}',
                     num_classes=num_classes))
    cfg.update(overrides)
    return cfg


def build_tiny(cfg: dict, seed: int = 0, init_weights: bool = True):
    """``MODELS.build(cfg)`` in the mmseg scope under torch seed ``seed``.

    Args:
        cfg (dict): The model config.
        seed (int): Torch seed of the initialisation. Defaults to 0.
        init_weights (bool): Run ``init_weights`` (the reference
            initialisation) after the constructors'. Defaults to True.

    Returns:
        The model (in training mode).
    """
    import torch
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    if init_weights:
        model.init_weights()
    return model


def make_tiny_checkpoints(tmp: Path) -> Dict[str, str]:
    """Toy data, tiny configs and checkpoints.

    Returns:
        dict: ``dda_config``, ``dda_ckpt``, ``seg_config``, ``seg_ckpt`` and
        the toy roots (``cityscapes``, ``mapillary``, ...).
    """
    import torch
    from mmengine.config import Config

    from mmseg_dda.datasets.class_mappings import class_names, class_palette

    tiny = write_tiny_setup(tmp)
    dda_config = tiny.pop('config')
    roots = {k: v for k, v in tiny.items() if k != 'gmm'}

    model = build_tiny(Config.fromfile(dda_config).model)
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
    model = build_tiny(model_cfg, seed, init_weights=False)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict() if meta is None else meta), path)
    return model
