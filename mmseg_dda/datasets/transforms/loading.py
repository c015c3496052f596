"""Loading transforms: mapped labels, inverse depth, source density maps.

Label and depth conventions follow docs/method.md §7.3-§7.5; the density maps
§3.4 (stored raw pdf, squashed at load time in float32).
"""
from collections import Counter
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger
from mmseg.registry import TRANSFORMS

from ...density.gmm import SQUASH_SCALE, check_squash_scale, squash_density
from ..formats.density_maps import load_density_maps
# Re-exported: the label readers live with the dataset formats (the density
# tools use them too).
from ..formats.labels import SINGLE_CHANNEL_MODES, map_label, read_label_image
from ..formats.synthia import decode_synthia_depth, read_synthia_depth

__all__ = [
    'SINGLE_CHANNEL_MODES', 'map_label', 'read_label_image',
    'LoadMappedAnnotations', 'LoadInverseDepth', 'LoadSourceDensityMaps'
]


def _check_size(shape: Sequence[int], results: dict, path: str,
                what: str) -> None:
    """Accept a map at the native image size or the current image size."""
    shape = tuple(shape[:2])
    allowed = set()
    if results.get('ori_shape') is not None:
        allowed.add(tuple(results['ori_shape'][:2]))
    if results.get('img') is not None:
        allowed.add(tuple(results['img'].shape[:2]))
    if allowed and shape not in allowed:
        raise ValueError(
            f'{what} {path} has size {shape} (H, W) but the image '
            f'{results.get("img_path")} has size {sorted(allowed)}')


@TRANSFORMS.register_module()
class LoadMappedAnnotations(BaseTransform):
    """Load a label file and map it to train ids with ``label_lut``.

    Required keys: ``seg_map_path``, ``label_lut`` (uint8 LUT, from the
    dataset), optional ``label_known`` (bool mask of the scheme's ids) and
    ``label_format`` (the single-channel format the dataset stores; colour
    files are then refused, see :func:`read_label_image`).
    Added keys: ``gt_seg_map`` (uint8 ``(H, W)`` train ids, 255 = ignore),
    appended to ``seg_fields``.

    Ids outside the label scheme become 255; the first occurrence per
    transform (i.e. per dataset pipeline) and process is logged as a warning
    with the pixel counts, later ones are only accumulated in
    :attr:`unexpected_counts`.

    Args:
        check_size: Require the label to match the native (``ori_shape``) or
            current image size.
    """

    def __init__(self, check_size: bool = True) -> None:
        self.check_size = check_size
        self.unexpected_counts: Counter = Counter()
        self._reported = False

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        if 'label_lut' not in results:
            raise KeyError(f'LoadMappedAnnotations: no label_lut in the data '
                           f'info of {path}; use one of the mmseg_dda '
                           'datasets or add it to the data info')
        raw = read_label_image(path, results.get('label_format'))
        if self.check_size:
            _check_size(raw.shape, results, path, 'Label')
        mapped, unexpected = map_label(raw, results['label_lut'],
                                       results.get('label_known'))
        if unexpected:
            self.unexpected_counts.update(unexpected)
            if not self._reported:
                self._reported = True
                MMLogger.get_current_instance().warning(
                    f'{path}: unexpected label ids {{id: pixels}} '
                    f'{unexpected} were mapped to 255 (reported once per '
                    'dataset; later occurrences are counted silently)')
        results['gt_seg_map'] = mapped
        if 'gt_seg_map' not in results.setdefault('seg_fields', []):
            results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(check_size={self.check_size})'


@TRANSFORMS.register_module()
class LoadInverseDepth(BaseTransform):
    """Load a 16-bit SYNTHIA depth PNG as inverse depth (§7.3).

    ``gt_depth_map`` is :func:`~mmseg_dda.datasets.formats.synthia.decode_synthia_depth`
    of the raw centimetres (``65536 / (raw + 1)`` in float32; the sky at
    65535 gives 1.0), appended to ``seg_fields`` so that resizing moves it
    with the label.

    Required keys: ``depth_map_path``. Added: ``gt_depth_map``.

    Args:
        check_size: Require the depth to match the image size.
    """

    def __init__(self, check_size: bool = True) -> None:
        self.check_size = check_size

    def transform(self, results: dict) -> dict:
        path = results['depth_map_path']
        raw = read_synthia_depth(path)  # 16-bit single-channel, checked
        if self.check_size:
            _check_size(raw.shape, results, path, 'Depth map')
        results['gt_depth_map'] = decode_synthia_depth(raw)
        if 'gt_depth_map' not in results.setdefault('seg_fields', []):
            results['seg_fields'].append('gt_depth_map')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(check_size={self.check_size})'


@TRANSFORMS.register_module()
class LoadSourceDensityMaps(BaseTransform):
    """Load precomputed source density maps and squash them (§3.4).

    ``density_map_path`` is a ``.npy`` file (float32 ``(C, h, w)`` raw pdf)
    or the prefix ``<dir>/<stem>`` of the reference layout
    (``<stem>-<c>.tiff``, one float32 TIFF per class). The maps become
    ``gt_density_map = 255 * (1 - exp(-1e6 * p))`` (float32, ``(C, h, w)``),
    at the feature grid: they are **not** added to ``seg_fields`` and never
    resized.

    Required keys: ``density_map_path``, ``num_classes``.

    Args:
        grid: Optional expected ``(h, w)``; a mismatch raises.
        squash_scale: ``s`` of the squash; must equal the prior's
            (``model.density``; a fitted set stores it, docs/method.md
            §3.3). Default: the reference's 1e6.
    """

    def __init__(self, grid: Optional[Sequence[int]] = None,
                 squash_scale: float = SQUASH_SCALE) -> None:
        self.grid = tuple(grid) if grid is not None else None
        self.squash_scale = check_squash_scale(
            squash_scale, 'LoadSourceDensityMaps: squash_scale')

    def transform(self, results: dict) -> dict:
        path = results['density_map_path']
        maps = squash_density(
            load_density_maps(path, int(results['num_classes'])),
            self.squash_scale)
        if self.grid is not None and maps.shape[1:] != self.grid:
            raise ValueError(f'Density maps {path} have grid '
                             f'{maps.shape[1:]}, expected {self.grid}')
        results['gt_density_map'] = np.ascontiguousarray(maps, np.float32)
        # DDA compares it with its prior's scale (docs/method.md §3.3).
        results['density_squash_scale'] = self.squash_scale
        return results

    def __repr__(self) -> str:
        scale = ('' if self.squash_scale == SQUASH_SCALE else
                 f', squash_scale={self.squash_scale:g}')
        return f'{type(self).__name__}(grid={self.grid}{scale})'
