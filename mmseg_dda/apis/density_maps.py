"""STEP 1: the SYNTHIA source density maps of a config (docs/method.md §3.4).

Library side of ``tools/gen_density_maps.py``::

    from mmseg_dda.apis import generate_source_density_maps
    summary = generate_source_density_maps('configs/dda/syn2city_16cls.py',
                                           workers=4)

Resolves what the config says (source dataset, GMM set, feature grid of the
model, output folder and layout), checks that they agree, and runs the
resumable loop of :func:`mmseg_dda.density.generation.generate_density_maps`,
which evaluates the per-class GMM pdf on the feature grid for every image
and writes ``<out>/<stem>.npy`` (float32 ``(C, h, w)``) and/or
``<out>/<stem>-<c>.tiff`` (reference layout). The folder's
``manifest.json`` records the GMM set, grid, class count, label folder and
id table, layout and the ablation switch; a rerun with other values raises
:class:`~mmseg_dda.utils.provenance.StaleOutputError` unless ``overwrite``.
"""
import os.path as osp
from typing import Callable, Dict, Optional, Sequence, Union

from mmengine.config import Config

from ..density.generation import generate_density_maps
from ..utils.runtime import read_config
from .step_inputs import (build_source_dataset, resolve_gmm,
                          source_dataset_cfg, source_items, tool_feature_grid)


class StepInputError(ValueError):
    """The inputs of a pipeline step disagree (message names them)."""


def generate_source_density_maps(config: Union[str, Config],
                                 out: Optional[str] = None,
                                 workers: int = 1,
                                 layout: Optional[str] = None,
                                 num_classes: Optional[int] = None,
                                 gmm: Optional[str] = None,
                                 gmm_set: Optional[str] = None,
                                 grid: Optional[Sequence[int]] = None,
                                 mask_outside: bool = False,
                                 max_images: Optional[int] = None,
                                 overwrite: bool = False,
                                 cfg_options: Optional[dict] = None,
                                 log: Callable[[str], None] = print) -> Dict:
    """Write the source density maps of ``config``'s SYNTHIA dataset.

    Args:
        config (str | Config): Training config, a path or a loaded config.
        out (str, optional): Output folder (default: ``<synthia root>/``
            ``density_map_dir`` of the source dataset, else
            ``source_density_maps``).
        workers (int): Worker processes.
        layout (str, optional): ``'npy'``, ``'tiff'`` or ``'both'``
            (default: the dataset's ``density_map_layout``, else npy).
        num_classes (int, optional): Expected class count (the tool's
            ``--num-classes``), checked against the GMM set.
        gmm (str, optional): GMM set name or JSON path (default:
            ``model.density.params`` of the config).
        gmm_set (str, optional): Set inside a ``gmm`` JSON file.
        grid (tuple[int, int], optional): Feature grid ``(h, w)`` (default:
            the model's output grid, else the GMM set's).
        mask_outside (bool): Ablation: zero cells outside the class.
        max_images (int, optional): Process at most N pending images.
        overwrite (bool): Delete the folder's old maps and start afresh.
        cfg_options (dict, optional): Overrides when ``config`` is a path.
        log (callable): Sink for progress lines.

    Returns:
        dict: The summary of :func:`generate_density_maps` (``failed`` > 0
        when some images could not be processed).

    Raises:
        StepInputError: If the GMM set, the dataset and ``num_classes``
            disagree, or the output folder cannot be told.
        StaleOutputError: If the folder was made from other inputs.
    """
    cfg = config if isinstance(config, Config) else read_config(
        config, cfg_options)
    params = resolve_gmm(cfg, gmm, gmm_set)
    # The grid of the config's model (checked against the GMM set's), else
    # the GMM set's; ``grid`` overrides both.
    grid_hw, grid_from = tool_feature_grid(cfg, grid, params)
    log(f'feature grid {grid_hw[0]}x{grid_hw[1]} ({grid_from})')
    dataset = build_source_dataset(cfg)
    dataset_classes = getattr(dataset, 'num_classes',
                              len(dataset.metainfo.get('classes', ())))
    for what, n in (('dataset', dataset_classes), ('--num-classes',
                                                   num_classes)):
        if n is not None and int(n) != params.num_classes:
            raise StepInputError(
                f'GMM parameter set {params.name!r} has '
                f'{params.num_classes} classes but the {what} has {n}')
    classes = list(dataset.metainfo.get('classes', ()))
    if params.class_names is not None and classes and \
            list(params.class_names) != classes:
        # Same count, other order: every class would get another's prior.
        raise StepInputError(
            f'GMM parameter set {params.name!r} ({params.source}) orders its '
            f'classes {list(params.class_names)} but the dataset has '
            f'{classes}')
    src_cfg = source_dataset_cfg(cfg)
    if out is None:
        root = getattr(dataset, 'data_root', None) or src_cfg.get('data_root')
        if not root:
            raise StepInputError('cannot tell the SYNTHIA root; pass --out')
        out = osp.join(root, src_cfg.get('density_map_dir',
                                         'source_density_maps'))
    layout = layout or src_cfg.get('density_map_layout', 'npy')
    return generate_density_maps(
        source_items(dataset), params, grid_hw, out, layout=layout,
        workers=workers, mask_outside=mask_outside, max_images=max_images,
        overwrite=overwrite, log=log,
        info=dict(config=osp.abspath(cfg.filename) if cfg.filename else None,
                  data_root=getattr(dataset, 'data_root', None)))
