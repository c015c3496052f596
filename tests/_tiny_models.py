"""Tiny DDA and segmentor models, configs and checkpoints for the tests.

* :func:`tiny_backbone_cfg`, :func:`tiny_segmentor_cfg`,
  :func:`tiny_dda_cfg`: the model dicts of the unit tests, a narrow
  DeepLabV2ResNet (ResNet-50 depth) with small heads; :func:`build_tiny`
  builds one under a fixed seed. Every DDA of the tests is a
  :func:`tiny_dda_cfg`.
* :func:`unit_dda_cfg`, :func:`build_unit_dda`, :func:`unit_dda_batch`:
  the DDA of the ``train_step`` unit tests (7 classes, 64x64 inputs, the
  reference's preprocessing and loss weights) and a batch for it.
* :func:`make_tiny_checkpoints`: built in-process from the tiny DDA config
  of :mod:`_helpers` (randomly initialised, no training needed): a DDA
  checkpoint as ``tools/train.py`` writes it (``meta.dataset_meta``
  included) and a self-training style segmentor checkpoint without class
  names (as converted reference files); the session fixtures
  ``tiny_checkpoints`` and ``val_images`` of ``conftest.py`` serve them.
* :func:`save_untrained`: a checkpoint of any model config.
"""
from pathlib import Path
from typing import Dict, Optional, Sequence

from _helpers import write_tiny_setup

#: The reference's loss weights (docs/method.md §5.1).
REFERENCE_LOSS_WEIGHTS = dict(seg_src=1., density_src=0.01, depth_src=0.005,
                              adv_tgt=0.05, density_tgt=0.05)
#: The DDA of the ``train_step`` unit tests: classes (GMM set ``c7``), input
#: (H, W) and its feature grid (ceil_mode max-pool).
UNIT_CLASSES, UNIT_SIZE, UNIT_GRID = 7, (64, 64), (9, 9)


def preprocessor_cfg(size: Sequence[int]) -> dict:
    """The reference's ``SegDataPreProcessor`` (BGR, mean only) padding to
    ``size`` (H, W)."""
    return dict(type='SegDataPreProcessor',
                mean=[104.00698793, 116.66876762, 122.67891434],
                std=[1., 1., 1.], bgr_to_rgb=False, size=tuple(size))


def tiny_backbone_cfg(width: int = 2, stem_channels: int = 4,
                      depth: int = 50, **overrides) -> dict:
    """A DeepLabV2ResNet with ``width`` base channels (layer4:
    ``width * 32`` channels).

    Args:
        width (int): Base channels. Defaults to 2.
        stem_channels (int): Stem channels. Defaults to 4.
        depth (int): ResNet depth. Defaults to 50.
        **overrides: Further backbone arguments (e.g. ``init_cfg``).
    """
    return dict(type='DeepLabV2ResNet', depth=depth,
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


def unit_dda_cfg(**overrides) -> dict:
    """The DDA of the ``train_step`` unit tests: :func:`tiny_dda_cfg` with
    ``UNIT_CLASSES``, the reference's preprocessing at ``UNIT_SIZE`` and its
    loss weights; ``overrides`` are further DDA arguments."""
    cfg = tiny_dda_cfg(UNIT_CLASSES,
                       data_preprocessor=preprocessor_cfg(UNIT_SIZE),
                       loss_weights=dict(REFERENCE_LOSS_WEIGHTS))
    cfg.update(overrides)
    return cfg


def build_unit_dda(**overrides):
    """:func:`unit_dda_cfg` built (seed 0), in training mode.

    The segmentor's convolutions get larger weights than the reference
    init (std 0.3), so that the tiny network's outputs and gradients are not
    vanishingly small.
    """
    import torch.nn as nn
    model = build_tiny(unit_dda_cfg(**overrides))
    for m in model.segmentor.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=0.3)
    model.train()
    return model


def unit_dda_batch(n: int = 1, seed: int = 0) -> dict:
    """A source/target batch for :func:`build_unit_dda`: random images,
    labels (top rows ignored), inverse depths and density maps.

    Returns:
        dict: ``inputs``, ``data_samples``, ``target_inputs``,
        ``target_data_samples`` (as ``SourceTargetDataset`` gives them).
    """
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    (h, w), c = UNIT_SIZE, UNIT_CLASSES
    g = torch.Generator().manual_seed(seed)
    inputs, samples, t_inputs, t_samples = [], [], [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, h, w), generator=g,
                                    dtype=torch.uint8))
        s = SegDataSample()
        s.gt_sem_seg = PixelData(
            data=torch.randint(0, c, (1, h, w), generator=g))
        s.gt_sem_seg.data[0, :4] = 255
        s.gt_depth_map = PixelData(
            data=65536. / (torch.rand(1, h, w, generator=g) * 5000 + 1))
        s.gt_density_map = PixelData(
            data=torch.rand(c, *UNIT_GRID, generator=g) * 255)
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w)))
        samples.append(s)
        t_inputs.append(torch.randint(0, 256, (3, h, w), generator=g,
                                      dtype=torch.uint8))
        t = SegDataSample()
        t.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w)))
        t_samples.append(t)
    return dict(inputs=inputs, data_samples=samples, target_inputs=t_inputs,
                target_data_samples=t_samples)


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
