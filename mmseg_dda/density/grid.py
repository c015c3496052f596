"""The density feature grid: its arithmetic and its consistency check.

The GMM prior, the source density maps and the density targets all live on
the grid of the segmentation logits: 96x161 for the DeepLab-v2 ResNet at
1280x760, 95x160 for MMSeg's ResNet-V1c (stride 8, PyTorch-style pooling),
190x320 for SegFormer's MiT (stride 4).

This module is the one home of grid arithmetic (:func:`feature_grid_size`,
the DeepLab-v2 ResNet's grid from the input size alone). Any other model's
grid is read from the model itself, built from its config by
:func:`mmseg_dda.apis.model_grid.model_feature_grid`.

:func:`check_grids` is the refusal used at the start of training (by
:class:`~mmseg_dda.engine.hooks.DensityGridCheckHook`) and by the tools: the
maps on disk (or computed on the fly), the GMM set and the model must share
one grid, otherwise the density targets would be evaluated at the wrong
positions or fail with a shape error mid-run.
"""
import math
from typing import Optional, Sequence, Tuple

Grid = Tuple[int, int]


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
