"""Formats with the datasets' own readers: an 8-bit depth file, a colour
label."""
import cv2
import numpy as np
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.preflight import run_preflight
from mmseg_dda.preflight.data import build_listing
from mmseg_dda.preflight.formats import sample_indices

from _preflight_rows import only_failure


def test_sample_spreads_over_the_list(tiny_cfg):
    ds = build_listing(tiny_cfg.train_dataloader.dataset.source)
    assert sample_indices(ds, False, n=3) == [0, 2, 5]
    assert sample_indices(ds, True, n=3) == list(range(6))


def test_8bit_depth_file(own_data_cfg):
    cfg, syn, _ = own_data_cfg
    path = syn / 'Depth' / '0000003.png'
    depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(path), (depth // 256).astype(np.uint8))
    row = only_failure(run_preflight(cfg))
    assert (row.group, row.name) == ('formats',
                                     'SynthiaDataset (train source)')
    assert row.detail.splitlines()[1] == (
        f'ValueError: Depth file {path} is 1-channel uint8: expected a '
        'single-channel 16-bit PNG of depths in cm (SYNTHIA Depth/)')
    assert row.detail.startswith('1 of 6 entries')


def test_colour_label(own_data_cfg):
    cfg, _, cs = own_data_cfg
    path = next((cs / 'gtFine' / 'val').rglob('*_gtFine_labelIds.png'))
    ids = np.array(Image.open(path))
    Image.fromarray(np.stack([ids] * 3, -1)).save(path)
    row = only_failure(run_preflight(cfg))
    assert (row.group, row.name) == ('formats', 'CityscapesUDADataset (val)')
    assert row.detail.splitlines()[1].startswith(
        f"ValueError: Label file {path} has PIL mode 'RGB' (3 channels, "
        'e.g. a colour rendering): expected a single-channel '
        '*_gtFine_labelIds.png')
