"""Write the toy SYNTHIA / Cityscapes / Mapillary trees to disk.

File formats follow the real datasets (docs/method.md §7.3-§7.5) so the real
dataset classes and pipelines read them unchanged:

* SYNTHIA: ``RGB/*.png``, ``parsed_LABELS/*.png`` (single-channel raw
  SYNTHIA ids), ``Depth/*.png`` (uint16 centimetres, sky 65535);
* Cityscapes: ``leftImg8bit/<split>/<city>/*_leftImg8bit.png`` and
  ``gtFine/<split>/<city>/*_gtFine_labelIds.png`` (labelIds);
* Mapillary: ``<split>/images/*.jpg`` and ``<split>/labels/*.png`` (palette
  PNG, v1.2 indices, v1.2 palette).
"""
import io
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from ...datasets.class_mappings import MAPILLARY_V12_PALETTE
from .scene import Camera, render_scene
from .style import render_image
from ...utils.atomic_io import atomic_open

# Internal class (16 train ids, terrain, lane marking, void) -> raw ids.
SYNTHIA_RAW = np.array(
    [3, 4, 2, 21, 5, 7, 15, 9, 6, 1, 10, 17, 8, 19, 12, 11, 16, 22, 0],
    np.uint8)
# Cityscapes has no lane-marking class (part of road); void = ego vehicle.
CITYSCAPES_RAW = np.array(
    [7, 8, 11, 12, 13, 17, 19, 20, 21, 23, 24, 25, 26, 28, 32, 33, 22, 7, 1],
    np.uint8)
MAPILLARY_RAW = np.array(
    [13, 15, 17, 6, 3, 45, 48, 50, 30, 27, 19, 20, 55, 54, 57, 52, 29, 24,
     65], np.uint8)

MAPILLARY_ASPECTS = (4 / 3, 16 / 9, 3 / 2, 2.0)
CITIES = {'train': 'toyburg', 'val': 'toyfurt'}
_DOMAIN_IDS = {'synthia': 0, 'cityscapes': 1, 'mapillary': 2}
_SPLIT_IDS = {'all': 0, 'train': 1, 'val': 2, 'validation': 2}


def _atomic_write(path: str, data: bytes) -> None:
    with atomic_open(path) as f:
        f.write(data)


def _encode(ext: str, arr: np.ndarray, params: Sequence[int] = ()) -> bytes:
    ok, buf = cv2.imencode(ext, arr, list(params))
    if not ok:
        raise RuntimeError(f'cv2 could not encode a {ext} image')
    return buf.tobytes()


def _write_rgb(path: str, rgb: np.ndarray, jpeg: bool = False) -> None:
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    data = (_encode('.jpg', bgr, (cv2.IMWRITE_JPEG_QUALITY, 92)) if jpeg else
            _encode('.png', bgr))
    _atomic_write(path, data)


def _write_palette_png(path: str, indices: np.ndarray) -> None:
    img = Image.fromarray(indices, mode='P')
    img.putpalette([v for rgb in MAPILLARY_V12_PALETTE for v in rgb])
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    _atomic_write(path, buf.getvalue())


def _write_list(path: str, names: Sequence[str]) -> None:
    _atomic_write(path, ''.join(n + '\n' for n in names).encode())


def _rng(seed: int, domain: str, split: str, idx: int) -> np.random.Generator:
    return np.random.default_rng(
        [seed, _DOMAIN_IDS[domain], _SPLIT_IDS[split], idx])


#: Viewpoints of the toy SYNTHIA images: ``'elevated'`` (random, often
#: elevated, as in SYNTHIA-RAND) or ``'car'`` (a car-mounted camera like the
#: toy Cityscapes one, so that the two domains share the depth layout and
#: differ in appearance only; the demo's domain shift).
SOURCE_VIEWS = ('elevated', 'car')


def _camera(domain: str, size: Tuple[int, int], rng: np.random.Generator,
            source_view: str = 'elevated') -> Camera:
    w, h = size
    if domain == 'synthia' and source_view == 'car':
        return Camera(w, h, w * rng.uniform(1.0, 1.2),
                      h * rng.uniform(0.40, 0.48), rng.uniform(1.2, 1.6),
                      rng.uniform(-1.5, 1.5))
    if domain == 'synthia':  # random, often elevated viewpoints
        return Camera(w, h, w * rng.uniform(0.75, 0.9), h * rng.uniform(.38,
                                                                       .5),
                      rng.uniform(2.5, 5.0), rng.uniform(-2.0, 2.0))
    if domain == 'cityscapes':  # fixed car-mounted camera
        return Camera(w, h, w * 1.1, h * rng.uniform(0.42, 0.46),
                      rng.uniform(1.2, 1.4), rng.uniform(-1.0, 1.0))
    return Camera(w, h, w * rng.uniform(0.7, 1.0), h * rng.uniform(.38, .55),
                  rng.uniform(1.3, 2.5), rng.uniform(-2.0, 2.0))


def make_sample(domain: str, size: Tuple[int, int], seed: int, split: str,
                idx: int, source_view: str = 'elevated'):
    """Render one sample (``source_view``: see :data:`SOURCE_VIEWS`).

    Returns:
        tuple: ``(rgb uint8 (H, W, 3), raw label uint8 (H, W), depth in
        metres float32 (H, W), inf for the sky)``; raw ids of ``domain``.
    """
    rng = _rng(seed, domain, split, idx)
    if source_view not in SOURCE_VIEWS:
        raise ValueError(f'toy data: source_view must be one of '
                         f'{SOURCE_VIEWS}, got {source_view!r}')
    cam = _camera(domain, size, rng, source_view)
    scene = render_scene(
        cam, rng, ego_void_rows=0.07 if domain == 'cityscapes' else 0.0)
    rgb = render_image(scene, domain, rng)
    table = dict(synthia=SYNTHIA_RAW, cityscapes=CITYSCAPES_RAW,
                 mapillary=MAPILLARY_RAW)[domain]
    return rgb, table[scene.labels], scene.depth


def depth_to_synthia_png(depth_m: np.ndarray) -> np.ndarray:
    """Metres -> SYNTHIA uint16 centimetres (sky / inf -> 65535)."""
    cm = np.where(np.isfinite(depth_m), np.rint(depth_m * 100.0), 65535.0)
    return np.clip(cm, 1, 65535).astype(np.uint16)


def generate_toy_dataset(root: str,
                         num_source: int = 6,
                         num_target: int = 4,
                         num_val: int = 3,
                         size: Tuple[int, int] = (320, 190),
                         seed: int = 0,
                         cityscapes_size: Optional[Tuple[int, int]] = None,
                         mapillary_width: Optional[int] = None,
                         with_train_labels: bool = False,
                         source_view: str = 'elevated') -> Dict[str, str]:
    """Generate the three toy dataset trees under ``root``.

    Args:
        root: Output folder (created).
        num_source: SYNTHIA images.
        num_target: Target training images per target domain (unlabelled
            unless ``with_train_labels``).
        num_val: Labelled validation images per target domain.
        size: SYNTHIA-like ``(W, H)`` (default 320x190, the 1280x760 ratio).
        seed: Seed; the output is a deterministic function of the arguments.
        cityscapes_size: Cityscapes-like ``(W, H)``; default
            ``(size[0], size[0] // 2)`` (2:1).
        mapillary_width: Mapillary-like width; heights cycle through the
            aspect ratios 4:3, 16:9, 3:2 and 2:1 so that both branches of
            ``resize_with_pad`` are used. Default ``size[0]``.
        with_train_labels: Also write target-train labels.
        source_view: Viewpoint of the SYNTHIA images, ``'elevated'``
            (default) or ``'car'`` (the target's camera: appearance-only
            shift); see :data:`SOURCE_VIEWS`.

    Returns:
        dict: ``{'synthia': ..., 'cityscapes': ..., 'mapillary': ...}`` roots.
    """
    size = (int(size[0]), int(size[1]))
    cs_size = tuple(cityscapes_size or (size[0], size[0] // 2))
    map_w = int(mapillary_width or size[0])
    roots = {d: osp.join(root, d) for d in ('synthia', 'cityscapes',
                                            'mapillary')}

    syn_names = []
    for i in range(num_source):
        rgb, raw, depth = make_sample('synthia', size, seed, 'all', i,
                                      source_view)
        name = f'{i:07d}.png'
        r = roots['synthia']
        _write_rgb(osp.join(r, 'RGB', name), rgb)
        _atomic_write(osp.join(r, 'parsed_LABELS', name), _encode('.png', raw))
        _atomic_write(osp.join(r, 'Depth', name),
                      _encode('.png', depth_to_synthia_png(depth)))
        syn_names.append(name)
    _write_list(osp.join(roots['synthia'], 'all.txt'), syn_names)

    r = roots['cityscapes']
    for split, n in (('train', num_target), ('val', num_val)):
        city, names = CITIES[split], []
        for i in range(n):
            rgb, raw, _ = make_sample('cityscapes', cs_size, seed, split, i)
            stem = f'{city}_000000_{i:06d}'
            rel = f'{city}/{stem}_leftImg8bit.png'
            _write_rgb(osp.join(r, 'leftImg8bit', split, rel), rgb)
            if split == 'val' or with_train_labels:
                _atomic_write(
                    osp.join(r, 'gtFine', split, city,
                             f'{stem}_gtFine_labelIds.png'),
                    _encode('.png', raw))
            names.append(rel)
        _write_list(osp.join(r, f'{split}.txt'), names)

    r = roots['mapillary']
    for split, n in (('train', num_target), ('validation', num_val)):
        names = []
        for i in range(n):
            aspect = MAPILLARY_ASPECTS[i % len(MAPILLARY_ASPECTS)]
            msize = (map_w, max(int(round(map_w / aspect)), 8))
            rgb, raw, _ = make_sample('mapillary', msize, seed, split, i)
            img_id = f'toy_{split}_{i:05d}'
            _write_rgb(osp.join(r, split, 'images', img_id + '.jpg'), rgb,
                       jpeg=True)
            if split == 'validation' or with_train_labels:
                _write_palette_png(
                    osp.join(r, split, 'labels', img_id + '.png'), raw)
            names.append(img_id + '.jpg')
        _write_list(osp.join(r, f'{split}.txt'), names)
    return roots
