"""The density feature grid, read from the model, and its consistency check.

This module is the one home of grid arithmetic: :func:`feature_grid_size`
(the DeepLab-v2 ResNet's grid from the input size alone) and
:func:`model_feature_grid` (any model's grid, read from the model).

The GMM prior, the source density maps and the density targets all live on
the grid of the segmentation logits: 96x161 for the DeepLab-v2 ResNet at
1280x760, 95x160 for MMSeg's ResNet-V1c (stride 8, PyTorch-style pooling),
190x320 for SegFormer's MiT (stride 4). Rather than a table per backbone,
:func:`model_feature_grid` builds the segmentor and runs one forward pass on
PyTorch's ``meta`` device (shapes only, no arithmetic), so any backbone and
head that MMSeg can build gives its grid.

:func:`check_grids` is the refusal used at the start of training (by
:class:`~mmseg_dda.engine.hooks.DensityGridCheckHook`) and by the tools: the
maps on disk (or computed on the fly), the GMM set and the model must share
one grid, otherwise the density targets would be evaluated at the wrong
positions or fail with a shape error mid-run.
"""
import copy
import json
import math
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch

Grid = Tuple[int, int]

#: Pipeline transforms whose ``scale`` (W, H) is the network input size.
_RESIZE_TYPES = ('ResizeWithPad', 'Resize', 'RandomResize')

_GRID_CACHE: Dict[str, Grid] = {}


class GridMismatchError(ValueError):
    """Density maps, GMM set and model disagree on the feature grid."""


def feature_grid_size(input_hw: Sequence[int]) -> Tuple[int, int]:
    """Stride-8 feature grid of the DeepLab-v2 caffe ResNet (§2.4).

    Pure arithmetic, no model: used where only the input size is known
    (``ComputeSourceDensityMaps(scale=...)``, test fixtures). For any other
    network read the grid from the model instead (:func:`model_feature_grid`).

    conv1 (k7, s2, p3) -> max-pool (k3, s2, p1, ``ceil_mode=True``) ->
    layer2's first 1x1 conv (s2, p0); layer3/4 keep the size (dilation).

    Args:
        input_hw: Network input ``(H, W)``.

    Returns:
        tuple: ``(h, w)``, e.g. 96x161 for 760x1280 and 41x81 for 320x640.
    """

    def conv(n, k, s, p):
        return (n + 2 * p - k) // s + 1

    def pool_ceil(n, k, s, p):
        out = math.ceil((n + 2 * p - k) / s) + 1
        # PyTorch drops a last window that would start in the right padding.
        if (out - 1) * s >= n + p:
            out -= 1
        return out

    def one(n):
        return conv(pool_ceil(conv(n, 7, 2, 3), 3, 2, 1), 1, 2, 0)

    h, w = (int(v) for v in input_hw)
    if h < 1 or w < 1:
        raise ValueError(f'feature_grid_size: invalid input size {input_hw}')
    return one(h), one(w)


def segmentor_config(model_cfg: dict) -> dict:
    """The segmentor part of a model config (``DDA`` holds it as
    ``segmentor``), as a plain dict without pretrained initialisation."""
    cfg = copy.deepcopy(_plain(model_cfg))
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


def _plain(cfg):
    """Config objects to plain dicts/lists (ConfigDict is a dict already)."""
    if hasattr(cfg, 'to_dict'):
        return cfg.to_dict()
    return cfg


def _build_on_meta(seg_cfg: dict) -> torch.nn.Module:
    """Build the segmentor with its parameters on the ``meta`` device."""
    import mmseg_dda  # noqa: F401  (registers the project's modules)
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
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
    model = _build_on_meta(seg_cfg)
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


def density_maps_grid(folder: str, num_classes: Optional[int] = None,
                      sample: Optional[str] = None) -> Optional[Grid]:
    """Grid of the source density maps in ``folder`` (STEP 1 output).

    Read from the folder's ``manifest.json`` (``inputs.grid_hw`` or
    ``inputs.grid``) when present, else from the shape of one map (``sample``:
    a ``.npy`` file or a TIFF prefix; else the first ``.npy``/``-0.tiff`` in
    the folder). None when the folder holds no maps.
    """
    from ..utils.provenance import read_manifest
    manifest = read_manifest(folder) if osp.isdir(folder) else None
    if manifest is not None:
        for key in ('grid_hw', 'grid'):
            grid = manifest['inputs'].get(key)
            if grid is not None:
                return int(grid[0]), int(grid[1])
    if sample is None and osp.isdir(folder):
        names = sorted(os.listdir(folder))
        npy = [n for n in names if n.endswith('.npy')]
        tif = [n for n in names if n.endswith('-0.tiff')]
        if npy:
            sample = osp.join(folder, npy[0])
        elif tif:
            sample = osp.join(folder, tif[0][:-len('-0.tiff')])
    if sample is None:
        return None
    if sample.endswith('.npy') or not osp.isfile(f'{sample}-0.tiff'):
        path = sample if sample.endswith('.npy') else f'{sample}.npy'
        if not osp.isfile(path):
            return None
        shape = np.load(path, mmap_mode='r').shape
        return int(shape[-2]), int(shape[-1])
    from PIL import Image
    with Image.open(f'{sample}-0.tiff') as img:
        w, h = img.size
    return int(h), int(w)


def _fmt(grid: Optional[Sequence[int]]) -> str:
    return 'unknown' if grid is None else f'{grid[0]}x{grid[1]}'


def check_grids(model_grid: Grid,
                gmm_grid: Optional[Grid],
                maps_grid: Optional[Grid],
                model_desc: str = 'model',
                gmm_desc: str = 'GMM set',
                maps_desc: str = 'source density maps') -> None:
    """Refuse a disagreement between model, GMM set and density maps.

    ``None`` means unknown (a GMM file without grid metadata, no maps yet)
    and is not compared.

    Raises:
        GridMismatchError: Naming all three grids and where each comes from.
    """
    grids = [tuple(g) for g in (model_grid, gmm_grid, maps_grid)
             if g is not None]
    if len(set(grids)) <= 1:
        return
    raise GridMismatchError(
        'feature grid mismatch (h x w): '
        f'{maps_desc}: {_fmt(maps_grid)}; {gmm_desc}: {_fmt(gmm_grid)}; '
        f'{model_desc}: {_fmt(model_grid)}. The model grid is the one that '
        'counts: fit a GMM for it (tools/fit_gmm.py CONFIG --out FILE), '
        'point model.density.params at that file and regenerate the maps '
        '(tools/gen_density_maps.py CONFIG)')


def has_segmentor(cfg) -> bool:
    """Whether a config's ``model`` is a buildable segmentor (or DDA)."""
    model = cfg.get('model') if hasattr(cfg, 'get') else None
    if not isinstance(model, dict):
        return False
    if model.get('type') == 'DDA':
        model = model.get('segmentor')
    return isinstance(model, dict) and 'backbone' in model and \
        'decode_head' in model


def tool_feature_grid(cfg,
                      grid: Optional[Sequence[int]] = None,
                      gmm=None,
                      input_hw: Optional[Sequence[int]] = None
                      ) -> Tuple[Grid, str]:
    """Grid for the offline tools (GMM fitting, STEP 1) and where it is from.

    Order: an explicit ``grid`` (``--grid``, not checked); else the grid of
    the config's model at its input size (or ``input_hw``), which a given
    GMM set must share; else, for configs without a segmentor, the GMM
    set's own grid.

    Args:
        cfg: The training config.
        grid (Sequence[int], optional): Explicit ``(h, w)``.
        gmm (GMMParams, optional): The GMM set the maps will be made with.
        input_hw (Sequence[int], optional): Network input ``(H, W)``.

    Returns:
        tuple: ``((h, w), description)``.
    """
    if grid is not None:
        if len(grid) != 2 or min(int(v) for v in grid) < 1:
            raise ValueError(
                f'--grid must be two positive ints H W, got {list(grid)}')
        return (int(grid[0]), int(grid[1])), 'given by --grid'
    if has_segmentor(cfg):
        hw = tuple(int(v) for v in input_hw) if input_hw else \
            config_input_hw(cfg)
        model_grid = config_feature_grid(cfg, hw)
        desc = f'model output at input {hw[0]}x{hw[1]}'
        if gmm is not None:
            check_grids(
                model_grid, gmm.grid_hw, None,
                model_desc=f'model (config, input {hw[0]}x{hw[1]})',
                gmm_desc=f'GMM set {gmm.name!r} ({gmm.source})',
                maps_desc='source density maps (about to be written)')
        return model_grid, desc
    if gmm is None or gmm.grid_hw is None:
        raise ValueError('the config has no segmentor model to read the '
                         'feature grid from; pass --grid H W')
    return tuple(gmm.grid_hw), f'grid of GMM set {gmm.name!r}'
