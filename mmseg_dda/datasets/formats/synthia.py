"""SYNTHIA files: 16-bit depth PNGs and the label + depth of one image.

SYNTHIA depth is decoded here only (docs/method.md §7.3); labels are read
by :mod:`.labels`. The loading transform, STEP 1 and the GMM fit read the
SYNTHIA files through this module (docs/method.md §3.4).
"""
from typing import Dict, Tuple

import cv2
import numpy as np

from .labels import map_label, read_label_image

#: How the SYNTHIA depth PNGs are decoded (recorded in STEP 1 manifests).
SYNTHIA_DEPTH_DECODING = 'inverse 65536/(raw+1) of 16-bit PNG'


def decode_synthia_depth(raw: np.ndarray) -> np.ndarray:
    """SYNTHIA depth in cm to inverse depth ``65536 / (raw + 1)`` (§7.3).

    The only decoder of SYNTHIA depth: the loading transform, STEP 1 and the
    GMM fit all read depth through it (float32 maths, as the reference).

    Args:
        raw (np.ndarray): uint16 ``(H, W)`` centimetres
            (:func:`read_synthia_depth`).

    Returns:
        np.ndarray: float32 ``(H, W)`` in ``[1, 65536]``.
    """
    return np.float32(65536.0) / (raw.astype(np.float32) + np.float32(1.0))


def load_synthia_inverse_depth(path: str) -> np.ndarray:
    """Read a 16-bit SYNTHIA depth PNG as inverse depth ``65536/(raw+1)``.

    Returns:
        np.ndarray: float32 ``(H, W)`` in ``[1, 65536]``.
    """
    return decode_synthia_depth(read_synthia_depth(path))


def read_synthia_depth(path: str) -> np.ndarray:
    """Read a SYNTHIA depth PNG: single-channel, 16-bit, centimetres.

    Read unchanged (not with ``IMREAD_ANYDEPTH``, which would silently turn
    a 3-channel file into grey), so that 8-bit or multi-channel files, whose
    values are not centimetres, are refused instead of giving inverse depths
    off by orders of magnitude.

    Returns:
        np.ndarray: uint16 ``(H, W)``.

    Raises:
        OSError: If the file is missing, truncated or not an image.
        ValueError: If it is not a single-channel 16-bit image.
    """
    raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise OSError(f'Cannot read depth file {path} (missing, truncated or '
                      'not an image)')
    if raw.ndim != 2 or raw.dtype != np.uint16:
        channels = 1 if raw.ndim == 2 else raw.shape[2]
        raise ValueError(
            f'Depth file {path} is {channels}-channel {raw.dtype}: expected a '
            'single-channel 16-bit PNG of depths in cm (SYNTHIA Depth/)')
    return raw


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
