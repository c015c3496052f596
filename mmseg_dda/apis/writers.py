"""Files written by ``tools/infer.py``: label maps, overlays, depth, density.

Formats (one file per image and kind, named after the image stem):

* label map: PNG, mode ``'P'``: pixel values are the class indices
  (train ids, 255 = none), the palette is the Cityscapes colours of the
  16/7 classes, so viewers show colours and readers get indices;
* Cityscapes ``labelIds``: uint8 PNG of Cityscapes label ids for the
  official evaluation scripts (:func:`to_cityscapes_label_ids`);
* inverse depth / density: 16-bit PNG holding ``round(value * scale)``
  (:data:`PNG_SCALES`; negative values become 0) or float32 ``.npy``;
* previews: colour-mapped 8-bit PNGs (not meant to be read back).
"""
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ..datasets.class_mappings import (CITYSCAPES_TO_7, CITYSCAPES_TO_16,
                                       IGNORE_INDEX)
from ..utils.atomic_io import atomic_open

#: value = png / scale. Inverse depth: 1/64 steps up to 1023.98 (the
#: inverse depth 65536 / (cm + 1) of anything farther than 64 cm); density
#: (0..255 after squashing): 1/256 steps.
PNG_SCALES = dict(depth=64.0, density=256.0)

_CITYSCAPES = {16: CITYSCAPES_TO_16, 7: CITYSCAPES_TO_7}


def label_palette(palette: Sequence[Sequence[int]]) -> list:
    """A 768-entry PIL palette: the class colours, black elsewhere."""
    flat = [0] * 768
    for i, colour in enumerate(palette[:256]):
        flat[3 * i:3 * i + 3] = [int(c) for c in colour]
    return flat


def colorize_label(label: np.ndarray,
                   palette: Sequence[Sequence[int]]) -> np.ndarray:
    """(H, W) class indices -> (H, W, 3) uint8 RGB; 255 and unknown: black."""
    table = np.asarray(label_palette(palette), np.uint8).reshape(256, 3)
    return table[label]


def save_label_png(label: np.ndarray, palette: Sequence[Sequence[int]],
                   path: str) -> None:
    """Class indices as a palette PNG (mode ``'P'``)."""
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    img.putpalette(label_palette(palette))
    with atomic_open(path) as tmp:
        img.save(tmp, format='PNG')


def overlay(image_rgb: np.ndarray, label: np.ndarray,
            palette: Sequence[Sequence[int]],
            alpha: float = 0.5) -> np.ndarray:
    """RGB image blended with the colour label map (RGB uint8); pixels
    without a class (255) keep the image."""
    rgb = image_rgb.astype(np.float32)
    colour = colorize_label(label, palette).astype(np.float32)
    none = label == IGNORE_INDEX
    out = (1 - alpha) * rgb + alpha * colour
    out[none] = rgb[none]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def colorize_map(values: np.ndarray,
                 value_range: Optional[Sequence[float]] = None,
                 colormap: int = cv2.COLORMAP_MAGMA) -> np.ndarray:
    """A float map as a colour preview (RGB uint8).

    Args:
        values: (H, W) float map.
        value_range: ``(low, high)``; default: the 2nd and 98th percentiles.
        colormap: OpenCV colour map.
    """
    if value_range is None:
        low, high = np.percentile(values, (2, 98))
    else:
        low, high = value_range
    scaled = (values - low) / max(float(high - low), 1e-12)
    gray = np.clip(scaled * 255 + 0.5, 0, 255).astype(np.uint8)
    return cv2.applyColorMap(gray, colormap)[..., ::-1]


def save_rgb(rgb: np.ndarray, path: str) -> None:
    """Write an RGB uint8 image (format from the extension)."""
    with atomic_open(path) as tmp:
        Image.fromarray(rgb).save(
            tmp, format='JPEG' if path.lower().endswith(
                ('.jpg', '.jpeg')) else 'PNG')


def save_map(values: np.ndarray, kind: str, path_stem: str,
             fmt: str = 'png') -> str:
    """Write inverse depth or density as 16-bit PNG or float32 ``.npy``.

    Args:
        values: (H, W) float map.
        kind: ``'depth'`` or ``'density'`` (selects the PNG scale).
        path_stem: Output path without extension.
        fmt: ``'png'`` or ``'npy'``.

    Returns:
        str: The written path.
    """
    if fmt == 'npy':
        path = path_stem + '.npy'
        with atomic_open(path) as f:
            np.save(f, values.astype(np.float32))
        return path
    if fmt != 'png':
        raise ValueError(f"save format must be 'png' or 'npy', got {fmt!r}")
    scale = PNG_SCALES[kind]
    png = np.clip(np.rint(values.astype(np.float64) * scale), 0, 65535)
    info = PngInfo()
    info.add_text('mmseg_dda', f'{kind} = value / {scale:g}')
    path = path_stem + '.png'
    with atomic_open(path) as tmp:
        Image.fromarray(png.astype(np.uint16)).save(
            tmp, format='PNG', pnginfo=info)
    return path


def read_map_png(path: str, kind: str) -> np.ndarray:
    """Read a map written by :func:`save_map` back as float32 values."""
    return np.asarray(Image.open(path), np.float32) / PNG_SCALES[kind]


def cityscapes_label_id_lut(num_classes: int) -> np.ndarray:
    """uint8 LUT: 16/7-class train id -> Cityscapes labelId (0 elsewhere).

    16 classes map one-to-one. The 7 classes are the Cityscapes categories;
    each maps to its first member (flat -> road 7, construction -> building
    11, object -> pole 17, nature -> vegetation 21, sky 23, human -> person
    24, vehicle -> car 26), so the category scores of the official
    evaluation are exact (its per-class scores are not meaningful then).
    """
    if num_classes not in _CITYSCAPES:
        raise ValueError('--out-format cityscapes needs a 16- or 7-class '
                         f'model, got {num_classes} classes')
    lut = np.zeros(256, np.uint8)  # 0 = unlabeled
    mapping: Dict[int, int] = _CITYSCAPES[num_classes]
    for label_id, train_id in sorted(mapping.items(), reverse=True):
        lut[train_id] = label_id  # the smallest label id wins
    return lut


def to_cityscapes_label_ids(label: np.ndarray,
                            num_classes: int) -> np.ndarray:
    """Train ids -> Cityscapes labelIds (uint8, 255 -> 0 unlabeled)."""
    return cityscapes_label_id_lut(num_classes)[label]


def cityscapes_name(image_path: str) -> str:
    """``<city>_<seq>_<frame>_labelIds.png`` for a ``*_leftImg8bit`` image.

    The official scripts find predictions by the ``<city>_<seq>_<frame>``
    prefix; other names keep their stem.
    """
    stem = osp.splitext(osp.basename(image_path))[0]
    if stem.endswith('_leftImg8bit'):
        stem = stem[:-len('_leftImg8bit')]
    return stem + '_labelIds.png'


def save_label_ids_png(label_ids: np.ndarray, path: str) -> None:
    """Write a uint8 label-id image (mode ``'L'``)."""
    with atomic_open(path) as tmp:
        Image.fromarray(label_ids.astype(np.uint8), mode='L').save(
            tmp, format='PNG')


def panel(tiles: Sequence[np.ndarray], captions: Sequence[str],
          gap: int = 4) -> np.ndarray:
    """RGB tiles of one height side by side, each captioned at its top left.

    Args:
        tiles: (H, W_i, 3) uint8 RGB images of the same height.
        captions: One short text per tile.
        gap: White columns between tiles.

    Returns:
        np.ndarray: (H, sum(W_i) + gaps, 3) uint8 RGB.
    """
    height = tiles[0].shape[0]
    scale = max(height / 400.0, 0.35)
    parts = []
    for i, (tile, text) in enumerate(zip(tiles, captions)):
        if tile.shape[0] != height:
            raise ValueError(f'panel: tile {i} has height {tile.shape[0]}, '
                             f'expected {height}')
        tile = np.ascontiguousarray(tile)
        for colour, width in (((0, 0, 0), 3), ((255, 255, 255), 1)):
            cv2.putText(tile, text, (6, int(6 + 22 * scale)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, colour,
                        max(1, int(width * scale)), cv2.LINE_AA)
        if parts:
            parts.append(np.full((height, gap, 3), 255, np.uint8))
        parts.append(tile)
    return np.concatenate(parts, axis=1)
