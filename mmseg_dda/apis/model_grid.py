"""The feature grid of a config's model, read from the model itself.

Rather than a table per backbone, :func:`model_feature_grid` builds the
segmentor of a config (MMSeg's ``MODELS`` registry) and runs one forward
pass on PyTorch's ``meta`` device (shapes only, no arithmetic), so any
backbone and head that MMSeg can build gives its grid. The grid of the
DeepLab-v2 ResNet alone, without a model, is
:func:`mmseg_dda.density.grid.feature_grid_size`.
"""
import copy
import json
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from ..density.grid import Grid, GridMismatchError

#: Pipeline transforms whose ``scale`` (W, H) is the network input size.
_RESIZE_TYPES = ('ResizeWithPad', 'Resize', 'RandomResize')

_GRID_CACHE: Dict[str, Grid] = {}


def segmentor_config(model_cfg: dict) -> dict:
    """The segmentor part of a model config (``DDA`` holds it as
    ``segmentor``), as a plain dict without pretrained initialisation."""
    cfg = copy.deepcopy(plain_dict(model_cfg))
    if cfg.get('type') == 'DDA':
        if 'segmentor' not in cfg:
            raise KeyError('model config of type DDA has no segmentor')
        cfg = cfg['segmentor']
    # Shapes do not depend on weights; never download or read checkpoints.
    cfg.pop('init_cfg', None)
    cfg.pop('pretrained', None)
    if isinstance(cfg.get('backbone'), dict):
        cfg['backbone'].pop('init_cfg', None)
        cfg['backbone'].pop('pretrained', None)
    return cfg


def plain_dict(cfg):
    """Config objects to plain dicts/lists (ConfigDict is a dict already)."""
    if hasattr(cfg, 'to_dict'):
        return cfg.to_dict()
    return cfg


def build_on_meta(seg_cfg: dict) -> torch.nn.Module:
    """Build the segmentor with its parameters on the ``meta`` device."""
    init_default_scope('mmseg')
    try:
        with torch.device('meta'):
            return MODELS.build(seg_cfg)
    except (RuntimeError, NotImplementedError):
        # Some constructors need real numbers (MiT's drop-path schedule calls
        # Tensor.item()); build on the CPU, then drop the weights.
        return MODELS.build(seg_cfg).to('meta')


def model_output_shapes(seg_cfg: dict,
                        input_hw: Sequence[int]) -> Dict[str, tuple]:
    """Output shapes of ``forward_heads`` for one ``(1, 3, H, W)`` input.

    Args:
        seg_cfg (dict): A ``DepthDensitySegmentor`` (or ``DDA``) config.
        input_hw (Sequence[int]): Network input ``(H, W)``.

    Returns:
        dict: ``seg_logits``, ``depth``, ``density`` -> shape (or None).
    """
    seg_cfg = segmentor_config(seg_cfg)
    h, w = (int(v) for v in input_hw)
    model = build_on_meta(seg_cfg)
    model.eval()
    with torch.no_grad(), torch.device('meta'):
        x = torch.zeros(1, 3, h, w)
        if hasattr(model, 'forward_heads'):
            outs = model.forward_heads(x)
        else:  # a plain MMSeg EncoderDecoder: its decode head's grid
            outs = dict(seg_logits=model.decode_head.forward(
                model.extract_feat(x)))
    return {
        k: tuple(v.shape) if v is not None else None
        for k, v in outs.items()
    }


def model_feature_grid(model_cfg: dict, input_hw: Sequence[int]) -> Grid:
    """Grid ``(h, w)`` of the segmentation logits for an input ``(H, W)``.

    The depth and density heads must predict on the same grid (the density
    targets combine their output with the logits cell by cell).

    Args:
        model_cfg (dict): ``DDA`` or ``DepthDensitySegmentor`` config.
        input_hw (Sequence[int]): Network input ``(H, W)``.

    Raises:
        GridMismatchError: If a depth or density head predicts on another
            grid than the segmentation head.
    """
    input_hw = tuple(int(v) for v in input_hw)
    if len(input_hw) != 2 or min(input_hw) < 1:
        raise ValueError(f'model_feature_grid: invalid input size {input_hw}')
    key = json.dumps([segmentor_config(model_cfg), input_hw], sort_keys=True,
                     default=str)
    if key in _GRID_CACHE:
        return _GRID_CACHE[key]
    shapes = model_output_shapes(model_cfg, input_hw)
    grid = tuple(int(v) for v in shapes['seg_logits'][2:])
    for head in ('depth', 'density'):
        shape = shapes.get(head)
        if shape is not None and tuple(shape[2:]) != grid:
            raise GridMismatchError(
                f'the {head} head predicts on a {shape[2]}x{shape[3]} grid '
                f'but the segmentation head on {grid[0]}x{grid[1]} (input '
                f'{input_hw[0]}x{input_hw[1]}); give the {head} head the same '
                'in_index / input_transform as the decode head (the first '
                'selected backbone output fixes the grid)')
    _GRID_CACHE[key] = grid
    return grid


def pipeline_input_hw(pipeline: Sequence[dict]) -> Optional[Grid]:
    """Network input ``(H, W)`` fixed by a pipeline's resize, if any.

    Only a fixed-size resize (``keep_ratio=False``) fixes it.
    """
    for t in pipeline or ():
        if t.get('type') in _RESIZE_TYPES and t.get('scale') is not None:
            if t.get('keep_ratio', False):
                return None
            scale = t['scale']
            return int(scale[1]), int(scale[0])
    return None


def config_input_hw(cfg) -> Grid:
    """Training input ``(H, W)`` of a config: the source pipeline's resize.

    Raises:
        ValueError: If the source pipeline has no fixed-size resize.
    """
    try:
        ds = cfg['train_dataloader']['dataset']
    except (KeyError, TypeError) as e:
        raise ValueError('the config has no train_dataloader.dataset; pass '
                         'the input size explicitly') from e
    src = ds.get('source', ds)
    hw = pipeline_input_hw(src.get('pipeline', ()))
    if hw is None:
        raise ValueError(
            'the source pipeline of the config has no fixed-size resize '
            f'({", ".join(_RESIZE_TYPES)} with keep_ratio=False), so the '
            'network input size is unknown; pass it explicitly (tools: '
            '--input-size H W, or --grid H W)')
    return hw


def config_feature_grid(cfg, input_hw: Optional[Sequence[int]] = None) -> Grid:
    """Feature grid of a training config's model at its input size."""
    if 'model' not in cfg:
        raise ValueError('the config has no model; pass the grid explicitly')
    if input_hw is None:
        input_hw = config_input_hw(cfg)
    return model_feature_grid(cfg['model'], input_hw)


def has_segmentor(cfg) -> bool:
    """Whether a config's ``model`` is a buildable segmentor (or DDA)."""
    model = cfg.get('model') if hasattr(cfg, 'get') else None
    if not isinstance(model, dict):
        return False
    if model.get('type') == 'DDA':
        model = model.get('segmentor')
    return isinstance(model, dict) and 'backbone' in model and \
        'decode_head' in model


def check_maps_grid(cfg) -> None:
    """Refuse precomputed maps made for another grid than the model's.

    Training on them failed at iteration 1 with a bare shape error. The
    message names the folder, the grid the maps were made for, the model's
    grid and the command that remakes them.

    Raises:
        GridMismatchError: If the grids differ.
    """
    from ..datasets.formats.density_maps import density_maps_grid
    from ..density.manifest import source_density_dir
    folder = source_density_dir(cfg)
    if folder is None or not osp.isdir(folder):
        return
    if any(isinstance(h, dict) and h.get('type') == 'DensityGridCheckHook'
           for h in cfg.get('custom_hooks') or []):
        return  # the hook compares all three grids before iteration 1
    maps_grid = density_maps_grid(folder)
    if maps_grid is None or not has_segmentor(cfg):
        return
    try:
        input_hw = config_input_hw(cfg)
    except ValueError:  # no fixed input size: DensityGridCheckHook's case
        return
    model_grid = config_feature_grid(cfg, input_hw)
    if tuple(maps_grid) == tuple(model_grid):
        return
    config = cfg.filename or 'CONFIG'
    raise GridMismatchError(
        f'the source density maps in {folder} were made for the feature '
        f'grid {maps_grid[0]}x{maps_grid[1]} (h x w), but the model of '
        f'{osp.basename(config)} predicts on {model_grid[0]}x{model_grid[1]} '
        f'(input {input_hw[0]}x{input_hw[1]}). Remake them for this config: '
        f'python tools/gen_density_maps.py {config} --overwrite')
