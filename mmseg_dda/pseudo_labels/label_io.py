"""Pseudo-label files: naming, atomic writing and reading (DESIGN.md).

Layout: ``<out>/<basename(img)>.png`` (uint8, lossless, default) or
``<out>/<basename(img)>.tiff`` (reference naming, docs/method.md §7.6), e.g.
``aachen_000000_000019_leftImg8bit.png.tiff``. Values are train ids
(0..C-1) or 255.
"""
import os.path as osp
import re
from typing import Optional, Tuple

import numpy as np
from PIL import Image
from ..utils.atomic_io import atomic_open

PSEUDO_LABEL_FORMATS = {'png': 'PNG', 'tiff': 'TIFF'}
# <image basename with its extension>.<format>; hidden temp files excluded.
_PSEUDO_LABEL_NAME = re.compile(
    r'[^.].*\.(png|jpe?g|tiff?|bmp)\.(png|tiff)', re.IGNORECASE)


def pseudo_label_path(out_dir: str, img_path: str, fmt: str = 'png') -> str:
    """Path of the pseudo-label of ``img_path`` inside ``out_dir``.

    Args:
        out_dir (str): Pseudo-label folder.
        img_path (str): Path of the target image.
        fmt (str): ``'png'`` (default) or ``'tiff'``.

    Returns:
        str: ``<out_dir>/<basename(img_path)>.<fmt>``.
    """
    if fmt not in PSEUDO_LABEL_FORMATS:
        raise ValueError(f'pseudo-label format must be one of '
                         f'{sorted(PSEUDO_LABEL_FORMATS)}, got {fmt!r}')
    return osp.join(out_dir, f'{osp.basename(img_path)}.{fmt}')


def save_pseudo_label(path: str, label: np.ndarray) -> None:
    """Write a uint8 label map atomically (temp file + ``os.replace``).

    The format (PNG or TIFF) follows the extension of ``path``.

    Args:
        path (str): Destination (``.png`` or ``.tiff``).
        label (np.ndarray): ``(H, W)`` uint8 map.
    """
    ext = osp.splitext(path)[1].lstrip('.').lower()
    if ext not in PSEUDO_LABEL_FORMATS:
        raise ValueError(f'{path}: pseudo-labels are written as .png or '
                         f'.tiff, got extension {ext!r}')
    if label.ndim != 2 or label.dtype != np.uint8:
        raise ValueError(f'{path}: pseudo-label must be a (H, W) uint8 array, '
                         f'got {label.dtype} {label.shape}')
    with atomic_open(path) as f:
        Image.fromarray(label).save(f, format=PSEUDO_LABEL_FORMATS[ext])


def load_pseudo_label(path: str) -> np.ndarray:
    """Read a pseudo-label written by :func:`save_pseudo_label` (or the
    reference's uint8 TIFF).

    Args:
        path (str): ``.png`` or ``.tiff`` file.

    Returns:
        np.ndarray: ``(H, W)`` uint8 map.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'pseudo-label {path} does not exist')
    with Image.open(path) as img:
        arr = np.asarray(img)
    if arr.ndim != 2:
        raise ValueError(f'{path}: pseudo-label must be single-channel, got '
                         f'shape {arr.shape}')
    if arr.dtype != np.uint8:
        # The reference reads its TIFFs with cv2 and casts to uint8.
        if arr.min() < 0 or arr.max() > 255:
            raise ValueError(f'{path}: pseudo-label values outside 0..255')
        arr = arr.astype(np.uint8)
    return arr


def is_pseudo_label_output(name: str) -> bool:
    """Whether a file name is a pseudo-label written by this package:
    ``<image basename>.<png|tiff>``, e.g. ``x_leftImg8bit.png.png`` (an
    image such as ``x.png`` itself is not)."""
    return bool(_PSEUDO_LABEL_NAME.fullmatch(name))


def is_complete(path: str,
                expected_hw: Optional[Tuple[int, int]] = None,
                num_classes: Optional[int] = None,
                ignore_index: int = 255) -> bool:
    """Whether a finished, valid pseudo-label exists at ``path``.

    The file is decoded completely (not only its header): it must be a
    single-channel uint8 map, of size ``expected_hw`` when given, whose
    values are train ids below ``num_classes`` (when given) or
    ``ignore_index``.

    Args:
        path (str): Pseudo-label path.
        expected_hw (tuple[int, int], optional): Required ``(H, W)``.
        num_classes (int, optional): Number of classes C.
        ignore_index (int): Value of unlabelled pixels.

    Returns:
        bool: True if the file can be skipped when resuming.
    """
    if not osp.isfile(path) or osp.getsize(path) == 0:
        return False
    try:
        with Image.open(path) as img:
            if img.mode != 'L':
                return False
            arr = np.asarray(img)  # decodes; a truncated file raises here
    except (OSError, ValueError, SyntaxError):
        return False
    if expected_hw is not None and arr.shape != tuple(expected_hw):
        return False
    if num_classes is not None:
        values = np.unique(arr)
        if ((values >= num_classes) & (values != ignore_index)).any():
            return False
    return True
