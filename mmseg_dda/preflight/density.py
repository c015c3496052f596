"""Density maps, GMM set and model: one feature grid, one class count.

The same comparisons as at the start of training
(:func:`~mmseg_dda.density.manifest.check_config_density_maps`, and the
grids of :class:`~mmseg_dda.engine.hooks.DensityGridCheckHook` through
:func:`~mmseg_dda.density.grid.check_grids`), made from the config before
anything is built. Whether every map of the split exists is part of the
source dataset's row (:mod:`.data`).
"""
import os.path as osp
from typing import List

from ..density.gmm import load_gmm_params
from ..apis.model_grid import config_feature_grid, config_input_hw
from ..datasets.formats.density_maps import density_maps_grid
from ..density.grid import check_grids
from ..density.manifest import check_config_density_maps, source_density_dir
from .report import FAIL, OK, WARN, Check, fail_from


def _grid_hook(cfg) -> dict:
    for hook in cfg.get('custom_hooks') or ():
        if isinstance(hook, dict) and str(hook.get('type', '')).endswith(
                'DensityGridCheckHook'):
            return hook
    return {}


def _source_root(cfg):
    ds = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    return ds.get('source', ds).get('data_root')


def check_density(cfg, config: str) -> List[Check]:
    """Rows for the GMM file, the maps' manifest and the three grids."""
    density = (cfg.get('model') or {}).get('density') or {}
    if not density.get('params'):
        return []  # no density prior (source-only or self-training)
    params_src = density['params']
    try:
        params = load_gmm_params(params_src, density.get('set_name'))
    except (FileNotFoundError, ValueError, KeyError) as err:
        fix = (f'fit it: tools/fit_gmm.py {config} --out {params_src}'
               if str(params_src).endswith('.json') else '')
        return [fail_from('density', 'GMM file', err, fix)]
    rows = []
    model_classes = density.get('num_classes')
    head = ((cfg.model.get('segmentor') or cfg.model).get('decode_head')
            or {}).get('num_classes')
    n_model = model_classes or head
    if n_model is not None and params.num_classes != n_model:
        rows.append(Check(
            'density', 'GMM classes', FAIL,
            f'GMM set {params.name!r} ({params_src}) has '
            f'{params.num_classes} classes but the model has {n_model}',
            f'fit a GMM for this config: tools/fit_gmm.py {config} --out '
            'FILE, and set model.density.params=FILE'))
    try:
        input_hw = config_input_hw(cfg)
        model_grid = config_feature_grid(cfg, input_hw)
    except ValueError as err:
        return rows + [fail_from('density', 'feature grid', err)]
    folder = source_density_dir(cfg)
    maps_grid = density_maps_grid(folder) if folder and osp.isdir(
        folder) else None
    gmm_grid = params.grid_hw
    hook = _grid_hook(cfg)
    strict = hook.get('strict_gmm', True)
    if not strict and gmm_grid is not None and \
            tuple(gmm_grid) != tuple(model_grid):
        rows.append(Check(
            'density', 'GMM grid', WARN,
            f'GMM set {params.name!r} was fitted on {gmm_grid[0]}x'
            f'{gmm_grid[1]} but the model grid is {model_grid[0]}x'
            f'{model_grid[1]} (DensityGridCheckHook strict_gmm=False)'))
        gmm_grid = None
    maps_desc = (f'source density maps in {folder}' if maps_grid else
                 'source density maps (none yet)')
    try:
        check_grids(model_grid, gmm_grid, maps_grid,
                    model_desc=f'model at input {input_hw[0]}x{input_hw[1]}',
                    gmm_desc=f'GMM set {params.name!r}',
                    maps_desc=maps_desc)
    except ValueError as err:
        text = str(err)
        detail, _, fix = text.partition('. The model grid is the one that '
                                        'counts: ')
        rows.append(Check('density', 'feature grid', FAIL, detail,
                          'the model grid counts: ' + fix.replace(
                              'CONFIG', config)))
    else:
        rows.append(Check(
            'density', 'feature grid', OK,
            f'{model_grid[0]}x{model_grid[1]}: model at input '
            f'{input_hw[0]}x{input_hw[1]}, GMM set {params.name!r} '
            f'({params.num_classes} classes)'
            + (f', maps in {folder}' if maps_grid else '')))
    if folder is None:
        return rows  # computed on the fly
    if not osp.isdir(folder):
        if not osp.isdir(_source_root(cfg) or ''):
            # The data row stops at the missing dataset root: name the
            # maps, which STEP 1 writes from that dataset.
            rows.append(Check(
                'density', 'source density maps', FAIL,
                f'{folder} not found (STEP 1 output)',
                f'after the source dataset is in place: '
                f'tools/gen_density_maps.py {config}'))
        return rows  # otherwise the source data row reports the folder
    try:
        manifest = check_config_density_maps(cfg)
    except ValueError as err:
        rows.append(fail_from('density', 'maps manifest', err,
                              f'tools/gen_density_maps.py {config} '
                              '--overwrite'))
        return rows
    if manifest is None:
        rows.append(Check(
            'density', 'maps manifest', WARN,
            f'{folder} has no manifest.json: its GMM set and class mapping '
            'cannot be compared with this config',
            f'regenerate with tools/gen_density_maps.py {config} '
            '--overwrite to record them'))
    else:
        rows.append(Check('density', 'maps manifest', OK,
                          f'{folder}/manifest.json: GMM set '
                          f'{params.name!r}, {params.num_classes} classes'))
    return rows
