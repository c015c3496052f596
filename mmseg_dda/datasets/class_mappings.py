"""Label lookup tables, class names and palettes (docs/method.md §7.2, §7.5).

Every lookup table (LUT) is a ``np.uint8`` array with 256 entries:
``lut[raw_id]`` is the train id (``0..C-1``) or 255 (ignore). Applying it is
a single vectorised indexing operation (``lut[label]``).

Besides the LUTs, each raw label scheme has a *known-id* mask: raw ids that
belong to the scheme (mapped to a class or deliberately ignored). Ids outside
it are unexpected (a corrupt file or a wrong layout) and are reported by
:class:`~mmseg_dda.datasets.transforms.LoadMappedAnnotations`.

Provenance: the tables restate DDA's ``main/dataset/*`` mappings (inherited
from DADA ``info16class.json`` / ``mapillary.py`` and CTRL
``info7class.json``), with the cross-domain quirks of docs/method.md §13.19
(7-class SYNTHIA drops wall/rider/bus/motorcycle; terrain is nature in
Cityscapes but flat in Mapillary; Mapillary pothole is object).
"""
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

import numpy as np

IGNORE_INDEX = 255

CLASSES_16: Tuple[str, ...] = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'light', 'sign',
    'vegetation', 'sky', 'person', 'rider', 'car', 'bus', 'motorcycle',
    'bicycle')
# Cityscapes colours, as in DADA's info16class.json.
PALETTE_16: Tuple[Tuple[int, int, int], ...] = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156),
    (190, 153, 153), (153, 153, 153), (250, 170, 30), (220, 220, 0),
    (107, 142, 35), (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142),
    (0, 60, 100), (0, 0, 230), (119, 11, 32))

CLASSES_7: Tuple[str, ...] = ('flat', 'construction', 'object', 'nature',
                              'sky', 'human', 'vehicle')
# One representative Cityscapes colour per category (road, building,
# traffic sign, vegetation, sky, person, car). info7class.json ships the
# 19-class Cityscapes palette instead, whose first 7 entries would be
# misleading (e.g. 'object' drawn as wall).
PALETTE_7: Tuple[Tuple[int, int, int], ...] = (
    (128, 64, 128), (70, 70, 70), (220, 220, 0), (107, 142, 35),
    (70, 130, 180), (220, 20, 60), (0, 0, 142))

# SYNTHIA raw ids (docs/method.md §7.2): 0 void ... 22 lanemarking.
SYNTHIA_NUM_RAW_IDS = 23
SYNTHIA_TO_16: Dict[int, int] = {
    3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 1: 9, 10: 10,
    17: 11, 8: 12, 19: 13, 12: 14, 11: 15}
SYNTHIA_TO_7: Dict[int, int] = {
    3: 0, 4: 0, 22: 0, 2: 1, 5: 1, 7: 2, 9: 2, 15: 2, 6: 3, 1: 4, 10: 5,
    8: 6, 11: 6}

# Cityscapes labelIds 0..33 (255 also appears in some label files).
CITYSCAPES_NUM_RAW_IDS = 34
CITYSCAPES_TO_16: Dict[int, int] = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 23: 9,
    24: 10, 25: 11, 26: 12, 28: 13, 32: 14, 33: 15}
# From labelIds, not trainIds: caravan (29) and trailer (30) are vehicle.
CITYSCAPES_TO_7: Dict[int, int] = {
    7: 0, 8: 0, 11: 1, 12: 1, 13: 1, 17: 2, 19: 2, 20: 2, 21: 3, 22: 3,
    23: 4, 24: 5, 25: 5, **{i: 6 for i in range(26, 34)}}

# Mapillary Vistas v1.2: 66 classes, palette index 65 = 'Unlabeled'.
MAPILLARY_NUM_RAW_IDS = 66
MAPILLARY_TO_7: Dict[int, int] = {
    **{i: 0 for i in (*range(7, 16), 23, 24, 29)},
    **{i: 1 for i in (*range(2, 7), *range(16, 19))},
    **{i: 2 for i in range(43, 51)},
    30: 3, 27: 4,
    **{i: 5 for i in range(19, 23)},
    **{i: 6 for i in range(52, 63)}}

MAPILLARY_V12_CLASSES: Tuple[str, ...] = (
    'Bird', 'Ground Animal', 'Curb', 'Fence', 'Guard Rail', 'Barrier', 'Wall',
    'Bike Lane', 'Crosswalk - Plain', 'Curb Cut', 'Parking', 'Pedestrian Area',
    'Rail Track', 'Road', 'Service Lane', 'Sidewalk', 'Bridge', 'Building',
    'Tunnel', 'Person', 'Bicyclist', 'Motorcyclist', 'Other Rider',
    'Lane Marking - Crosswalk', 'Lane Marking - General', 'Mountain', 'Sand',
    'Sky', 'Snow', 'Terrain', 'Vegetation', 'Water', 'Banner', 'Bench',
    'Bike Rack', 'Billboard', 'Catch Basin', 'CCTV Camera', 'Fire Hydrant',
    'Junction Box', 'Mailbox', 'Manhole', 'Phone Booth', 'Pothole',
    'Street Light', 'Pole', 'Traffic Sign Frame', 'Utility Pole',
    'Traffic Light', 'Traffic Sign (Back)', 'Traffic Sign (Front)',
    'Trash Can', 'Bicycle', 'Boat', 'Bus', 'Car', 'Caravan', 'Motorcycle',
    'On Rails', 'Other Vehicle', 'Trailer', 'Truck', 'Wheeled Slow',
    'Car Mount', 'Ego Vehicle', 'Unlabeled')
# Colours of the v1.2 label PNG palette (DADA mapillary_list/info.json).
MAPILLARY_V12_PALETTE: Tuple[Tuple[int, int, int], ...] = (
    (165, 42, 42), (0, 192, 0), (196, 196, 196), (190, 153, 153),
    (180, 165, 180), (102, 102, 156), (102, 102, 156), (128, 64, 255),
    (140, 140, 200), (170, 170, 170), (250, 170, 160), (96, 96, 96),
    (230, 150, 140), (128, 64, 128), (110, 110, 110), (244, 35, 232),
    (150, 100, 100), (70, 70, 70), (150, 120, 90), (220, 20, 60),
    (255, 0, 0), (255, 0, 0), (255, 0, 0), (200, 128, 128), (255, 255, 255),
    (64, 170, 64), (128, 64, 64), (70, 130, 180), (255, 255, 255),
    (152, 251, 152), (107, 142, 35), (0, 170, 30), (255, 255, 128),
    (250, 0, 30), (0, 0, 0), (220, 220, 220), (170, 170, 170), (222, 40, 40),
    (100, 170, 30), (40, 40, 40), (33, 33, 33), (170, 170, 170), (0, 0, 142),
    (170, 170, 170), (210, 170, 100), (153, 153, 153), (128, 128, 128),
    (0, 0, 142), (250, 170, 30), (192, 192, 192), (220, 220, 0),
    (180, 165, 180), (119, 11, 32), (0, 0, 142), (0, 60, 100), (0, 0, 142),
    (0, 0, 90), (0, 0, 230), (0, 80, 100), (128, 64, 64), (0, 0, 110),
    (0, 0, 70), (0, 0, 192), (32, 32, 32), (0, 0, 0), (0, 0, 0))


def build_lut(mapping: Mapping[int, int], size: int = 256) -> np.ndarray:
    """Build a lookup table from a sparse ``raw id -> train id`` mapping.

    Args:
        mapping: Raw id to train id; ids not listed map to 255.
        size: Table length (256 for 8-bit labels).

    Returns:
        np.ndarray: ``(size,)`` uint8 table.
    """
    lut = np.full(size, IGNORE_INDEX, dtype=np.uint8)
    keys = np.fromiter(mapping.keys(), dtype=np.int64)
    lut[keys] = np.fromiter(mapping.values(), dtype=np.int64)
    return lut


def build_known_mask(ids: Iterable[int], size: int = 256) -> np.ndarray:
    """Boolean mask of the raw ids that belong to a label scheme.

    Args:
        ids: The raw ids of the scheme.
        size: Table length, equal to the matching LUT's.

    Returns:
        np.ndarray: ``(size,)`` bool mask.
    """
    known = np.zeros(size, dtype=bool)
    known[np.fromiter(ids, dtype=np.int64)] = True
    return known


_SCHEMES: Dict[Tuple[str, int], Dict[int, int]] = {
    ('synthia', 16): SYNTHIA_TO_16,
    ('synthia', 7): SYNTHIA_TO_7,
    ('cityscapes', 16): CITYSCAPES_TO_16,
    ('cityscapes', 7): CITYSCAPES_TO_7,
    ('mapillary', 7): MAPILLARY_TO_7,
}
_KNOWN_IDS: Dict[str, Sequence[int]] = {
    'synthia': range(SYNTHIA_NUM_RAW_IDS),
    'cityscapes': (*range(CITYSCAPES_NUM_RAW_IDS), IGNORE_INDEX),
    'mapillary': range(MAPILLARY_NUM_RAW_IDS),
}


def get_label_lut(scheme: str, num_classes: int) -> np.ndarray:
    """Lookup table of a raw label scheme for a class protocol.

    Args:
        scheme: ``'synthia'`` (raw SYNTHIA ids), ``'cityscapes'``
            (``gtFine_labelIds``) or ``'mapillary'`` (v1.2 palette indices).
        num_classes: 16 or 7 (Mapillary: 7 only).

    Returns:
        np.ndarray: ``(256,)`` uint8 table ``raw id -> train id / 255``.
    """
    key = (scheme, num_classes)
    if key not in _SCHEMES:
        raise ValueError(
            f'No label mapping for scheme {scheme!r} with {num_classes} '
            f'classes; available: {sorted(_SCHEMES)}')
    return build_lut(_SCHEMES[key])


def get_known_ids(scheme: str) -> np.ndarray:
    """Known-id mask of a raw scheme (``'synthia'``, ``'cityscapes'``,
    ``'mapillary'``) or of train-id pseudo-labels (``'train_ids_16'``,
    ``'train_ids_7'``).

    Returns:
        np.ndarray: ``(256,)`` bool mask.
    """
    if scheme.startswith('train_ids_'):
        num_classes = int(scheme.rsplit('_', 1)[1])
        return build_known_mask((*range(num_classes), IGNORE_INDEX))
    if scheme not in _KNOWN_IDS:
        raise ValueError(f'Unknown label scheme {scheme!r}; available: '
                         f'{sorted(_KNOWN_IDS)} or train_ids_<C>')
    return build_known_mask(_KNOWN_IDS[scheme])


def identity_lut(num_classes: int) -> np.ndarray:
    """LUT for labels already in train ids (pseudo-labels): ``c -> c`` for
    ``c < num_classes``, everything else -> 255."""
    return build_lut({c: c for c in range(num_classes)})


def class_names(num_classes: int) -> Tuple[str, ...]:
    """Class names of the 16- or 7-class protocol."""
    return {16: CLASSES_16, 7: CLASSES_7}[_check_num_classes(num_classes)]


def class_palette(num_classes: int) -> List[List[int]]:
    """Palette (RGB lists) of the 16- or 7-class protocol."""
    palette = {16: PALETTE_16, 7: PALETTE_7}[_check_num_classes(num_classes)]
    return [list(c) for c in palette]


def _check_num_classes(num_classes: int) -> int:
    if num_classes not in (16, 7):
        raise ValueError(f'num_classes must be 16 or 7, got {num_classes}')
    return num_classes
