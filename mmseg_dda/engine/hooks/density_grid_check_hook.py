"""Refuse to train when maps, GMM set and model disagree on the grid.

A DDA run combines three things that each carry a feature grid: the source
density maps (written by STEP 1 or computed on the fly), the GMM prior
(fitted on one grid: its ``x``/``y`` are grid columns and rows) and the
model, whose segmentation logits define the grid of the density targets.
With another backbone or input size the three silently drift apart; this
hook compares them before the first iteration and stops the run with a
message that names all three.
"""
import logging
import os.path as osp
from typing import Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from ...apis.model_grid import config_feature_grid, config_input_hw
from ...datasets.formats.density_maps import density_maps_grid
from ...density.grid import check_grids


@HOOKS.register_module()
class DensityGridCheckHook(Hook):
    """Compare the density-map, GMM and model grids in ``before_train``.

    The model grid comes from a shape-only forward pass of the config's
    segmentor at the source pipeline's input size
    (:func:`~mmseg_dda.apis.model_grid.config_feature_grid`). A GMM file without
    grid metadata is reported and not compared.

    Args:
        input_size (tuple[int, int], optional): Network input ``(H, W)``;
            default: the source pipeline's fixed-size resize.
        strict_gmm (bool): Refuse a GMM set fitted on another grid (default).
            False only warns, for deliberate reuse of a set on another grid
            (e.g. the reference sets on a reduced test grid); maps and model
            must still agree.
    """

    priority = 'VERY_HIGH'

    def __init__(self, input_size: Optional[tuple] = None,
                 strict_gmm: bool = True) -> None:
        self.input_size = tuple(input_size) if input_size else None
        self.strict_gmm = strict_gmm

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        density = getattr(model, 'density', None)
        segmentor = getattr(model, 'segmentor', None)
        if is_model_wrapper(segmentor):  # MMSeparateDistributedDataParallel
            segmentor = segmentor.module
        if density is None or segmentor is None or not getattr(
                segmentor, 'with_density_head', False):
            return  # no density prior: nothing to compare
        cfg = runner.cfg
        input_hw = self.input_size or config_input_hw(cfg)
        model_grid = config_feature_grid(cfg, input_hw)
        gmm_grid = density.grid_hw
        if gmm_grid is None:
            print_log(
                f'DensityGridCheckHook: GMM set {density.set_name!r} has no '
                'grid in its _meta block; it is not compared with the model '
                f'grid {model_grid[0]}x{model_grid[1]}', logger='current')
        maps_grid, maps_desc = self._maps_grid(runner, input_hw)
        if not self.strict_gmm and gmm_grid is not None and \
                tuple(gmm_grid) != tuple(model_grid):
            print_log(
                f'DensityGridCheckHook: GMM set {density.set_name!r} was '
                f'fitted on {gmm_grid[0]}x{gmm_grid[1]} but is evaluated on '
                f'the model grid {model_grid[0]}x{model_grid[1]} '
                '(strict_gmm=False)', logger='current', level=logging.WARNING)
            gmm_grid = None
        check_grids(
            model_grid, gmm_grid, maps_grid,
            model_desc=(f'model ({type(segmentor.backbone).__name__} + '
                        f'{type(segmentor.decode_head).__name__} at input '
                        f'{input_hw[0]}x{input_hw[1]})'),
            gmm_desc=f'GMM set {density.set_name!r}',
            maps_desc=maps_desc)
        print_log(
            f'DensityGridCheckHook: feature grid {model_grid[0]}x'
            f'{model_grid[1]} (model, GMM set {density.set_name!r}, '
            f'{maps_desc})', logger='current')

    @staticmethod
    def _maps_grid(runner, input_hw):
        """Grid of the source density maps the training data will give."""
        dataset = runner.train_dataloader.dataset
        source = getattr(dataset, 'source', dataset)
        for t in getattr(getattr(source, 'pipeline', None), 'transforms',
                         ()):
            if type(t).__name__ == 'ComputeSourceDensityMaps':
                # Without a resize the transform uses the image size, which
                # is then the input size.
                fake = dict(img=np.empty((*input_hw, 0), np.uint8))
                return (tuple(t.grid_for(fake)),
                        'source density maps computed on the fly '
                        f'({t!r})')
        if getattr(source, 'with_density_maps', False) and len(source):
            path = source.get_data_info(0).get('density_map_path')
            if path:
                folder = osp.dirname(path)
                return (density_maps_grid(folder, sample=path),
                        f'source density maps in {folder}')
        return None, 'source density maps (none)'
