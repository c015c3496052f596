"""SYNTHIA source-set access shared by the density-map and GMM-fit tools.

Builds the source dataset of a training config (contract of DESIGN.md: data
infos with ``img_path``, ``seg_map_path``, ``depth_map_path``, ``label_lut``),
resolves the GMM set and feature grid, and reads one image's train-id label and
inverse depth at native resolution (docs/method.md §3.4).
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..utils.annotation_io import map_label, read_label_image
from .gmm import GMMParams, load_gmm_params
from .io import load_synthia_inverse_depth


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
    import mmseg_dda  # noqa: F401  (registers SynthiaDataset)
    from mmseg.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return DATASETS.build(source_dataset_cfg(cfg))


def source_items(dataset) -> List[Dict]:
    """Per-image records ``stem, img_path, seg_map_path, depth_map_path,
    label_lut, label_format``."""
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
                img_path=info.get('img_path'),
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


def load_source_label_depth(item: Dict) -> Tuple[np.ndarray, np.ndarray]:
    """Train-id label and inverse depth of one image, native resolution.

    Returns:
        tuple: ``(label (H, W) int64 train ids, inv_depth (H, W) float32)``.
    """
    raw = read_label_image(item['seg_map_path'], item.get('label_format'))
    if item.get('label_lut') is not None:
        label, _ = map_label(raw, item['label_lut'])
    else:
        label = raw
    depth = load_synthia_inverse_depth(item['depth_map_path'])
    if label.shape != depth.shape:
        raise ValueError(f'{item["seg_map_path"]}: label size {label.shape} '
                         f'differs from depth size {depth.shape} '
                         f'({item["depth_map_path"]})')
    return label.astype(np.int64), depth
