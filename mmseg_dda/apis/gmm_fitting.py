"""Fit the per-class depth-distribution GMM priors of a config (SYNTHIA).

Library side of ``tools/fit_gmm.py``::

    from mmseg_dda.apis import fit_gmm_priors
    fit_gmm_priors('configs/dda/syn2city_16cls.py', 'gmm.json',
                   num_images=1000)

The feature grid is the one the config's model produces: the segmentor is
built and run once, shapes only, at the input size of the config's source
pipeline (``input_size`` overrides it), and the segmentation head's output
shape is the grid (96x161 for DeepLab-v2 at 1280x760, 190x320 for MiT-B5).
``grid`` overrides it; configs without a segmentor use the grid of their GMM
set.

Writes a JSON in the format of the reference sets (a ``_meta`` block and one
set), readable with ``load_gmm_params(path)`` and usable as
``model.density.params`` or ``tools/gen_density_maps.py --gmm``.
"""
import os.path as osp
import time
from typing import Callable, Dict, Optional, Sequence, Union

import numpy as np
from mmengine.config import Config

from ..density.fitting import (collect_points, fit_class_gmms, gmm_json,
                               write_json_atomic)
from ..density.gmm import check_squash_scale, grid_squash_scale
from ..utils.output_policy import claim_output_file, json_marked
from ..utils.runtime import read_config
from .model_grid import has_segmentor
from .step_inputs import (build_source_dataset, resolve_gmm, resolve_grid,
                          source_items, tool_feature_grid)

#: The mark of a fitted set (``_meta.source.tool``): only such a file is
#: replaced by a new fit.
FIT_TOOL = 'tools/fit_gmm.py'


def fit_gmm_priors(config: Union[str, Config],
                   out: str = 'gmm_params_fitted.json',
                   set_name: str = 'fitted',
                   num_images: Optional[int] = None,
                   samples_per_class: int = 200000,
                   components: int = 5,
                   seed: int = 0,
                   grid: Optional[Sequence[int]] = None,
                   input_size: Optional[Sequence[int]] = None,
                   cfg_options: Optional[dict] = None,
                   log: Callable[[str], None] = print,
                   var_floor: Optional[Sequence[float]] = None,
                   squash_scale: Union[float, str, None] = None) -> Dict:
    """Fit one GMM per class on the config's source set, write the JSON.

    Args:
        config (str | Config): Training config (source dataset, model).
        out (str): Output JSON (written atomically).
        set_name (str): Name of the set in the JSON.
        num_images (int, optional): Random subset of N images (default:
            all).
        samples_per_class (int): Uniform subsample of grid points per class.
        components (int): Gaussian components per class.
        seed (int): Seed of the image subset, the subsample and the fit.
        grid (tuple[int, int], optional): Feature grid ``(h, w)``.
        input_size (tuple[int, int], optional): Network input ``(H, W)``
            for the model grid (default: the source pipeline's resize).
        cfg_options (dict, optional): Overrides when ``config`` is a path.
        log (callable): Sink for progress lines.
        var_floor (tuple[float, float, float], optional): Floor of the
            fitted variances ``(x, y, z)`` in the data's units (default:
            none beyond ``reg_covar`` 1e-6, as the reference sets).
        squash_scale (float | str, optional): Squash scale stored with the
            set; ``'grid'``: :func:`~mmseg_dda.density.gmm.grid_squash_scale`
            of the grid (1e6 on the reference's 96x161; docs/method.md
            §3.3). Default: none stored, the reference's 1e6 applies. A
            stored scale must also be given to ``LoadSourceDensityMaps``
            when training on precomputed maps (DDA refuses a mismatch).

    Returns:
        dict: The written JSON content.

    Raises:
        OutputPolicyError: If ``out`` is an input (the config, its GMM set)
            or lies among the source images, or is a file not written by
            this tool.
    """
    cfg = config if isinstance(config, Config) else read_config(
        config, cfg_options)
    if grid is None and not has_segmentor(cfg):
        grid_hw, grid_from = resolve_grid(None, resolve_gmm(cfg)), 'GMM set'
    else:
        grid_hw, grid_from = tool_feature_grid(cfg, grid,
                                               input_hw=input_size)
    log(f'feature grid {grid_hw[0]}x{grid_hw[1]} ({grid_from})')
    dataset = build_source_dataset(cfg)
    items = source_items(dataset)
    density = (cfg.get('model') or {}).get('density') or {}
    claim_output_file(
        out, json_marked(('_meta', 'source', 'tool'), FIT_TOOL),
        trees=sorted({osp.dirname(it[key]) for it in items
                      for key in ('img_path', 'seg_map_path',
                                  'depth_map_path') if it.get(key)}),
        files=[cfg.filename, density.get('params')], tool=FIT_TOOL)
    if num_images is not None and num_images < len(items):
        pick = np.random.default_rng(seed).permutation(
            len(items))[:num_images]
        items = [items[i] for i in sorted(pick)]
    classes = list(dataset.metainfo.get('classes') or [])
    num_classes = len(classes) or int(dataset.num_classes)
    start = time.perf_counter()
    points, seen = collect_points(items, grid_hw, num_classes,
                                  samples_per_class, seed)
    log(f'collected grid points from {len(items)} images in '
        f'{time.perf_counter() - start:.1f} s')
    fitted = fit_class_gmms(points, components, seed=seed,
                            class_names=classes or None, var_floor=var_floor)
    if squash_scale == 'grid':
        squash_scale = grid_squash_scale(grid_hw)
    elif squash_scale is not None:
        squash_scale = check_squash_scale(squash_scale, 'squash_scale')
    import sklearn
    provenance = dict(
        tool=FIT_TOOL, config=cfg.filename, num_images=len(items),
        samples_per_class=samples_per_class, seed=seed,
        grid_points_per_class=seen,
        fitted_points_per_class=[len(p) for p in points],
        sklearn=sklearn.__version__, reg_covar=1e-6,
        var_floor=list(var_floor) if var_floor is not None else None,
        grid_hw=list(grid_hw), grid_from=grid_from)
    content = gmm_json(set_name, fitted, grid_hw, classes or None,
                       provenance, squash_scale=squash_scale)
    write_json_atomic(content, out)
    for c in range(num_classes):
        name = classes[c] if classes else str(c)
        log(f'{name:>12}: {seen[c]:>9} points, mu_z range '
            f'{min(m[2] for m in fitted["mu"][c]):.3g}..'
            f'{max(m[2] for m in fitted["mu"][c]):.3g}')
    log(f'wrote {out} (set {set_name!r}, grid '
        f'{grid_hw[0]}x{grid_hw[1]}, {time.perf_counter() - start:.1f} s)')
    return content
