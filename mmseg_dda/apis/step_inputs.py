"""What a pipeline step's config says: source dataset, GMM set, grid.

Shared by STEP 1 (:mod:`.density_maps`) and the GMM fit
(:mod:`.gmm_fitting`): builds the source dataset of a training config
(contract of docs/DESIGN.md: data infos with ``img_path``, ``seg_map_path``,
``depth_map_path``, ``label_lut``), lists its images and resolves the GMM set
and the feature grid (docs/method.md §3.4).
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from ..density.gmm import GMMParams, load_gmm_params
from ..density.grid import Grid, check_grids
from .model_grid import config_feature_grid, config_input_hw, has_segmentor


def source_dataset_cfg(cfg) -> dict:
    """The SYNTHIA dataset config of a training config, ready to build.

    Uses ``cfg.train_dataloader.dataset.source`` (or the dataset itself when
    it is not a source/target pair), with an empty pipeline (only the data
    infos are needed) and without requiring existing density maps.
    """
    try:
        ds_cfg = cfg['train_dataloader']['dataset']
    except (KeyError, TypeError) as e:
        raise KeyError('config has no train_dataloader.dataset') from e
    src = ds_cfg.get('source', ds_cfg)
    src = copy.deepcopy(dict(src))
    src['pipeline'] = []
    if 'with_density_maps' in src:
        src['with_density_maps'] = False
    return src


def build_source_dataset(cfg):
    """Build the source dataset (mmseg ``DATASETS``) of a config."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return DATASETS.build(source_dataset_cfg(cfg))


def source_items(dataset) -> List[Dict]:
    """Per-image records ``stem, seg_map_path, depth_map_path, label_lut,
    label_format``."""
    items = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        for key in ('seg_map_path', 'depth_map_path'):
            if not info.get(key):
                raise KeyError(f'source data info {i} ({info.get("img_path")}'
                               f') has no {key!r}; the density tools need '
                               'SYNTHIA labels and depth')
        lut = info.get('label_lut')
        items.append(
            dict(
                stem=osp.splitext(osp.basename(info['seg_map_path']))[0],
                seg_map_path=info['seg_map_path'],
                depth_map_path=info['depth_map_path'],
                label_format=info.get('label_format'),
                label_lut=None if lut is None else np.asarray(lut)))
    return items


def resolve_gmm(cfg=None,
                gmm: Optional[str] = None,
                gmm_set: Optional[str] = None) -> GMMParams:
    """GMM parameters from ``--gmm`` or ``cfg.model.density.params``."""
    if gmm is None:
        density = (cfg or {}).get('model', {}).get('density') or {}
        gmm = density.get('params')
        gmm_set = gmm_set or density.get('set_name')
        if gmm is None:
            raise ValueError('no GMM set: pass --gmm or set '
                             'model.density.params in the config')
    return load_gmm_params(gmm, gmm_set)


def resolve_grid(grid: Optional[Sequence[int]],
                 params: Optional[GMMParams]) -> Tuple[int, int]:
    """Feature grid ``(h, w)``: explicit, else the GMM set's own grid."""
    if grid is not None:
        if len(grid) != 2 or min(grid) < 1:
            raise ValueError(f'grid must be two positive ints H W, got {grid}')
        return int(grid[0]), int(grid[1])
    if params is None or params.grid_hw is None:
        raise ValueError('the GMM set has no grid in its _meta block; pass '
                         '--grid H W')
    return params.grid_hw


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
