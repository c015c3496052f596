"""What made a folder of source density maps, and whether it fits a config.

STEP 1 (:func:`~mmseg_dda.density.generation.generate_density_maps`) writes
``manifest.json`` into its output folder (see
:mod:`mmseg_dda.utils.provenance`) with :func:`density_manifest_inputs`. The
readers compare it with what they know: :class:`SynthiaDataset` the class
count, label folder and id table, and the file layout;
:func:`check_config_density_maps` (``tools/train.py``) the GMM set of the
model. Maps without a manifest (made by the reference code) are used with a
warning.
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

from ..datasets.formats.synthia import SYNTHIA_DEPTH_DECODING
from ..utils.provenance import (diff_fields, manifest_path, read_manifest,
                                sha256_arrays)
from .gmm import GMMParams, load_gmm_params
from .gmm_names import check_config_gmm, gmm_identity

#: ``kind`` of the manifest of a density-map folder.
MANIFEST_KIND = 'source_density_maps'
#: Folders already reported as having no manifest (one warning each).
_WARNED = set()


def label_lut_sha256(lut) -> Optional[str]:
    """SHA-256 of a raw-id -> train-id table (None for no table)."""
    return None if lut is None else sha256_arrays(np.asarray(lut))


def density_manifest_inputs(items: Sequence[Dict], params: GMMParams,
                            grid_hw: Tuple[int, int], layout: str,
                            mask_outside: bool) -> Dict:
    """The values that decide the maps' numbers (compared on reruns).

    GMM set, grid, class count, the label folder (``parsed_LABELS`` or
    ``LABELS``) and raw-id -> train-id table, the depth decoding, the
    ablation switch and the file layout.
    """
    luts = {label_lut_sha256(it.get('label_lut')) for it in items}
    if len(luts) > 1:
        raise ValueError('the source images use different label tables')
    return dict(
        **gmm_identity(params),
        grid_hw=[int(grid_hw[0]), int(grid_hw[1])],
        num_classes=params.num_classes,
        label_dir=sorted({osp.basename(osp.dirname(it['seg_map_path']))
                          for it in items}),
        label_lut_sha256=luts.pop() if luts else None,
        depth=SYNTHIA_DEPTH_DECODING,
        mask_outside=bool(mask_outside),
        layout=layout)


def check_density_maps_manifest(folder: str,
                                expected: Dict,
                                layout: Optional[str] = None,
                                owner: str = 'density maps') -> Optional[Dict]:
    """Compare the manifest of ``folder`` with what a reader expects.

    Args:
        folder (str): Density-map folder.
        expected (dict): Manifest ``inputs`` fields the reader knows, e.g.
            ``num_classes``, ``label_lut_sha256``, ``gmm_params_sha256``.
        layout (str, optional): ``'npy'`` or ``'tiff'`` to be read; the
            folder must hold it (``'both'`` holds both).
        owner (str): Who reads, for the messages.

    Returns:
        dict | None: The manifest, or None (with one warning) when the folder
        has none, e.g. maps made by the reference code.

    Raises:
        ValueError: If the manifest disagrees, naming the fields (recorded vs
            expected) and the folder.
    """
    manifest = read_manifest(folder)
    if manifest is None:
        if folder not in _WARNED:
            _WARNED.add(folder)
            print_log(
                f'{owner}: {folder} has no manifest.json (maps made by the '
                'reference code or an older version of '
                'tools/gen_density_maps.py): their GMM set, grid and class '
                'mapping cannot be checked against this config',
                logger='current', level=30)
        return None
    recorded = manifest['inputs']
    if manifest.get('kind') != MANIFEST_KIND:
        raise ValueError(f'{owner}: {folder} holds {manifest.get("kind")!r}, '
                         f'not source density maps ({manifest_path(folder)})')
    diffs = diff_fields(recorded, expected, keys=expected)
    if layout is not None and recorded.get('layout') not in (layout, 'both'):
        diffs.append(f'layout: old {recorded.get("layout")!r} vs new '
                     f'{layout!r}')
    if diffs:
        raise ValueError(
            f'{owner}: the density maps in {folder} were made for other '
            f'settings ({manifest_path(folder)}, recorded vs this config): '
            + '; '.join(diffs) + '. Regenerate them with '
            'tools/gen_density_maps.py --overwrite, or point density_map_dir '
            'at maps made for this config.')
    return manifest


def source_density_dir(cfg) -> Optional[str]:
    """Folder of the precomputed source maps a training config reads, or
    None when it computes them on the fly (or has no source dataset)."""
    ds_cfg = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    src = ds_cfg.get('source', ds_cfg)
    if not src.get('with_density_maps') or not src.get('data_root'):
        return None
    return osp.join(src['data_root'],
                    src.get('density_map_dir', 'source_density_maps'))


def check_config_density_maps(cfg) -> Optional[Dict]:
    """Refuse to train on density maps made with another GMM set.

    First the config itself (:func:`~.gmm_names.check_config_gmm`: an
    on-the-fly ``ComputeSourceDensityMaps`` must use the model's GMM set),
    then the manifest of the config's density-map folder against the
    model's GMM set (``model.density``: name and parameter hash, class
    count).

    Returns:
        dict | None: The manifest, or None when nothing was compared.
    """
    check_config_gmm(cfg)
    folder = source_density_dir(cfg)
    density = (cfg.get('model') or {}).get('density') or {}
    if folder is None or not density.get('params') or not osp.isdir(folder):
        return None  # on-the-fly maps, or the dataset reports the folder
    params = load_gmm_params(density['params'], density.get('set_name'))
    # The grids (model, GMM set, maps) are compared by DensityGridCheckHook.
    expected = dict(**gmm_identity(params), num_classes=params.num_classes)
    return check_density_maps_manifest(
        folder, expected, owner=f'config {osp.basename(cfg.filename or "")}'
        f' (model.density.params={density["params"]!r})')
