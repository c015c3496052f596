"""Loading transforms: mapped labels, inverse depth, source density maps.

Label and depth conventions follow docs/method.md §7.3-§7.5; the density maps
§3.4 (stored raw pdf, squashed at load time in float32).
"""
from collections import Counter
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger
from mmseg.registry import TRANSFORMS
from PIL import Image

from ...density.io import load_density_maps, read_synthia_depth


#: PIL modes of label files that hold one id per pixel.
SINGLE_CHANNEL_MODES = ('L', 'P', 'I', 'I;16', 'I;16B', 'I;16L')


def read_label_image(path: str,
                     expected: Optional[str] = None) -> np.ndarray:
    """Read a label image as raw integer ids.

    * palette PNGs (mode ``'P'``, Mapillary): the palette **indices**;
    * single-channel 8/16-bit images: the stored values;
    * multi-channel images (SYNTHIA ``GT/LABELS``, 16-bit RGB): the red
      channel, read with OpenCV because PIL truncates 16-bit colour PNGs.

    Args:
        path: Label file.
        expected: Description of the single-channel format the dataset
            stores (e.g. ``'single-channel Cityscapes labelIds'``); when
            given, multi-channel files are refused, because the red channel
            of a colour rendering is not an id. None accepts both.

    Returns:
        np.ndarray: ``(H, W)`` integer array (uint8 for 8-bit files).

    Raises:
        OSError: If the file is missing, truncated or not an image.
        ValueError: If ``expected`` is given and the file is not
            single-channel.
    """
    try:
        with Image.open(path) as img:
            mode, bands = img.mode, len(img.getbands())
            if mode not in ('RGB', 'RGBA') and (
                    expected is None or mode in SINGLE_CHANNEL_MODES):
                img.load()  # a truncated file raises here
                raw = np.array(img)
    except (OSError, SyntaxError, ValueError) as err:
        raise OSError(f'Cannot read label file {path}: {err}') from err
    if expected is not None and mode not in SINGLE_CHANNEL_MODES:
        raise ValueError(f'Label file {path} has PIL mode {mode!r} ({bands} '
                         'channels, e.g. a colour rendering): expected '
                         f'{expected}')
    if mode in ('RGB', 'RGBA'):
        bgr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if bgr is None or bgr.ndim != 3:
            raise OSError(f'Cannot read label file {path}: OpenCV failed to '
                          'decode the multi-channel label')
        raw = np.ascontiguousarray(bgr[..., 2])  # red channel (BGR order)
    if raw.ndim != 2 or not np.issubdtype(raw.dtype, np.integer):
        raise OSError(f'Label file {path} is not an integer single-channel '
                      f'label (mode {mode}, shape {raw.shape}, {raw.dtype})')
    return raw


def map_label(raw: np.ndarray, lut: np.ndarray,
              known: Optional[np.ndarray] = None
              ) -> Tuple[np.ndarray, Dict[int, int]]:
    """Map raw ids to train ids through a lookup table, vectorised.

    Args:
        raw: ``(H, W)`` integer raw ids.
        lut: ``(N,)`` uint8 table ``raw id -> train id`` (255 = ignore).
        known: ``(N,)`` bool mask of the ids that belong to the label
            scheme; None means every id < N is known.

    Returns:
        tuple: ``(mapped uint8 (H, W), {unexpected raw id: pixel count})``.
        Unexpected ids (not known, negative or >= N) map to 255.
    """
    lut = np.asarray(lut, dtype=np.uint8)
    n = len(lut)
    known = np.ones(n, bool) if known is None else np.asarray(known, bool)
    effective = np.where(known, lut, np.uint8(255)).astype(np.uint8)
    if raw.dtype == np.uint8 and n >= 256:
        # Fast path: one histogram + one table lookup.
        counts = np.bincount(raw.ravel(), minlength=256)
        bad = np.flatnonzero(counts[:256] * ~known[:256])
        return effective[raw], {int(i): int(counts[i]) for i in bad}
    values, inverse, counts = np.unique(
        raw.ravel(), return_inverse=True, return_counts=True)
    in_range = (values >= 0) & (values < n)
    table = np.full(len(values), 255, np.uint8)
    table[in_range] = effective[values[in_range]]
    ok = np.zeros(len(values), bool)
    ok[in_range] = known[values[in_range]]
    mapped = table[inverse].reshape(raw.shape)
    return mapped, {int(v): int(c) for v, c in zip(values[~ok], counts[~ok])}


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

    ``gt_depth_map = 65536 / (raw + 1)`` in float32 (raw in cm, range
    ``[1, 65536]``; the sky at 65535 gives 1.0), appended to ``seg_fields``
    so that resizing moves it with the label.

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
        # Inverse depth as in the reference (float32 maths).
        results['gt_depth_map'] = np.float32(65536.0) / (
            raw.astype(np.float32) + np.float32(1.0))
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
    """

    def __init__(self, grid: Optional[Sequence[int]] = None) -> None:
        self.grid = tuple(grid) if grid is not None else None

    def transform(self, results: dict) -> dict:
        path = results['density_map_path']
        maps = load_density_maps(path, int(results['num_classes']),
                                 squash=True)
        if self.grid is not None and maps.shape[1:] != self.grid:
            raise ValueError(f'Density maps {path} have grid '
                             f'{maps.shape[1:]}, expected {self.grid}')
        results['gt_density_map'] = np.ascontiguousarray(maps, np.float32)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(grid={self.grid})'
