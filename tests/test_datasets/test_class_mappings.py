"""Lookup tables vs docs/method.md §7.2/§7.5 and the real sample frames."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.datasets import class_mappings as cm
from mmseg_dda.datasets.transforms import LoadMappedAnnotations

# Real sample frames and the reference label tables (tests/data/README.md).
DATA = Path(__file__).resolve().parents[1] / 'data'
CS_DIR = DATA / 'cityscapes'
MAP_DIR = DATA / 'mapillary'
REF_DIR = DATA / 'reference'


def _label2train(path: Path) -> np.ndarray:
    table = json.loads(path.read_text())['label2train']
    lut = np.full(256, 255, np.uint8)
    for raw, train in table:
        if raw >= 0:
            lut[raw] = train
    return lut


def test_luts_shape_dtype_and_unknown():
    for scheme, c in [('synthia', 16), ('synthia', 7), ('cityscapes', 16),
                      ('cityscapes', 7), ('mapillary', 7)]:
        lut = cm.get_label_lut(scheme, c)
        assert lut.dtype == np.uint8 and lut.shape == (256, )
        assert set(np.unique(lut)) == set(range(c)) | {255}
        assert (lut[100:] == 255).all()
    with pytest.raises(ValueError, match='mapillary'):
        cm.get_label_lut('mapillary', 16)


def test_synthia_tables_match_spec():
    lut16 = cm.get_label_lut('synthia', 16)
    raw_of_train = [3, 4, 2, 21, 5, 7, 15, 9, 6, 1, 10, 17, 8, 19, 12, 11]
    assert lut16[raw_of_train].tolist() == list(range(16))
    assert lut16[[0, 13, 14, 16, 18, 20, 22]].tolist() == [255] * 7
    lut7 = cm.get_label_lut('synthia', 7)
    groups = [{3, 4, 22}, {2, 5}, {7, 9, 15}, {6}, {1}, {10}, {8, 11}]
    for c, ids in enumerate(groups):
        assert set(np.flatnonzero(lut7 == c)) == ids
    # 7-class SYNTHIA drops wall, rider, bus, motorcycle (§13.19).
    assert lut7[[21, 17, 19, 12]].tolist() == [255] * 4


def test_mapillary_table_match_spec():
    lut = cm.get_label_lut('mapillary', 7)
    expected = {
        0: [*range(7, 16), 23, 24, 29], 1: [2, 3, 4, 5, 6, 16, 17, 18],
        2: list(range(43, 51)), 3: [30], 4: [27], 5: [19, 20, 21, 22],
        6: list(range(52, 63))}
    for c, ids in expected.items():
        assert sorted(np.flatnonzero(lut == c)) == ids
    ignored = [0, 1, 25, 26, 28, *range(31, 43), 51, 63, 64, 65]
    assert (lut[ignored] == 255).all()


def test_names_palettes():
    assert cm.class_names(16)[14] == 'motorcycle'
    assert cm.class_names(7) == ('flat', 'construction', 'object', 'nature',
                                 'sky', 'human', 'vehicle')
    assert len(cm.class_palette(16)) == 16 and len(cm.class_palette(7)) == 7
    with pytest.raises(ValueError, match='16 or 7'):
        cm.class_names(19)


def test_known_ids():
    assert cm.get_known_ids('synthia').sum() == 23
    known = cm.get_known_ids('cityscapes')
    assert known[:34].all() and known[255] and not known[34]
    assert cm.get_known_ids('train_ids_7').sum() == 8


def test_cityscapes_luts_equal_reference_json():
    info16 = REF_DIR / 'info16class.json'
    info7 = REF_DIR / 'info7class.json'
    np.testing.assert_array_equal(
        cm.get_label_lut('cityscapes', 16), _label2train(info16))
    np.testing.assert_array_equal(
        cm.get_label_lut('cityscapes', 7), _label2train(info7))
    names = json.loads(info16.read_text())['label']
    assert names[:14] == list(cm.CLASSES_16[:14])  # then motocycle typo
    assert [list(c) for c in cm.PALETTE_16] == json.loads(
        info16.read_text())['palette'][:16]


def test_mapillary_names_palette_equal_info_json():
    info = json.loads((REF_DIR / 'mapillary_info.json').read_text())
    assert [lab['readable'] for lab in info['labels']] == list(
        cm.MAPILLARY_V12_CLASSES)
    assert [tuple(lab['color']) for lab in info['labels']] == list(
        cm.MAPILLARY_V12_PALETTE)


def _load(path, lut, known):
    results = dict(seg_map_path=str(path), label_lut=lut, label_known=known,
                   seg_fields=[])
    return LoadMappedAnnotations()(results)['gt_seg_map']


# Official cityscapesScripts labelId -> trainId (19 classes).
CS_ID_TO_TRAIN19 = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7,
                    21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14,
                    28: 15, 31: 16, 32: 17, 33: 18}


def test_real_cityscapes_frame_16_equals_train_ids():
    label_ids = CS_DIR / 'frankfurt_000000_000294_gtFine_labelIds.png'
    raw = np.array(Image.open(label_ids))
    train_ids = np.array(Image.open(
        CS_DIR / 'frankfurt_000000_000294_gtFine_labelTrainIds.png'))
    mapped = _load(label_ids, cm.get_label_lut('cityscapes', 16),
                   cm.get_known_ids('cityscapes'))
    # 19 trainIds -> 16 classes: drop terrain (9), truck (14), train (16).
    t19_to_16 = np.full(256, 255, np.uint8)
    for t19, t16 in zip([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 17,
                         18], range(16)):
        t19_to_16[t19] = t16
    id_to_19 = cm.build_lut(CS_ID_TO_TRAIN19)
    assert mapped.dtype == np.uint8
    # Pixel-exact against the official table applied to this frame.
    np.testing.assert_array_equal(mapped, t19_to_16[id_to_19[raw]])
    # The fixture's labelTrainIds file was resized separately from its
    # labelIds file: compare wherever the two files agree with each other.
    consistent = id_to_19[raw] == train_ids
    assert consistent.mean() > 0.99
    np.testing.assert_array_equal(mapped[consistent],
                                  t19_to_16[train_ids][consistent])
    assert set(np.unique(mapped)) == {0, 1, 2, 4, 5, 7, 8, 9, 10, 12, 255}


def test_real_cityscapes_frame_7_equals_info7class():
    label_ids = CS_DIR / 'frankfurt_000000_000294_gtFine_labelIds.png'
    info7 = REF_DIR / 'info7class.json'
    raw = np.array(Image.open(label_ids))
    mapped = _load(label_ids, cm.get_label_lut('cityscapes', 7),
                   cm.get_known_ids('cityscapes'))
    np.testing.assert_array_equal(mapped, _label2train(info7)[raw])
    # labelIds 17 (pole) and 20 (sign) -> object, 24 (person) -> human.
    assert (mapped[raw == 17] == 2).all() and (mapped[raw == 24] == 5).all()


def test_real_mapillary_palette_indices():
    path = MAP_DIR / '__CRyFzoDOXn6unQ6a3DnQ.png'
    raw = np.array(Image.open(path))
    assert Image.open(path).mode == 'P'
    assert set(np.unique(raw)) == {17, 44, 45}
    mapped = _load(path, cm.get_label_lut('mapillary', 7),
                   cm.get_known_ids('mapillary'))
    assert set(np.unique(mapped)) == {1, 2}
    np.testing.assert_array_equal(mapped[raw == 17], 1)
    np.testing.assert_array_equal(mapped[(raw == 44) | (raw == 45)], 2)
