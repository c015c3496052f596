import numpy as np
import pytest
import torch
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.density.resize import pil_nearest_indices, pil_nearest_resize


def _pil_indices(src_len, dst_len):
    """Indices PIL NEAREST reads, probed with an arange image."""
    a = np.repeat(np.arange(src_len, dtype=np.float64)[None], 2, axis=0)
    out = Image.fromarray(a).resize((dst_len, 2), Image.NEAREST)
    return np.array(out)[0].astype(np.int64)


@pytest.mark.parametrize('src,dst', [(1280, 161), (760, 96), (1280, 81),
                                     (760, 41), (640, 81), (320, 41),
                                     (2048, 161), (1024, 96), (7, 3), (3, 7),
                                     (10, 10)])
def test_indices_match_pil(src, dst):
    np.testing.assert_array_equal(pil_nearest_indices(src, dst),
                                  _pil_indices(src, dst))


def test_indices_match_pil_random_sizes():
    rng = np.random.default_rng(0)
    for src, dst in rng.integers(1, 500, size=(60, 2)):
        np.testing.assert_array_equal(
            pil_nearest_indices(int(src), int(dst)),
            _pil_indices(int(src), int(dst)))


def test_pil_differs_from_closed_form_at_column_80():
    # (80 + 0.5) * 1280 / 161 == 640 exactly; PIL's running sum lands below.
    assert pil_nearest_indices(1280, 161)[80] == 639
    exact = torch.nn.functional.interpolate(
        torch.arange(1280.).view(1, 1, 1, -1), size=(1, 161),
        mode='nearest-exact')
    assert int(exact[0, 0, 0, 80]) == 640


def test_resize_2d_matches_pil_image():
    rng = np.random.default_rng(1)
    a = rng.random((76, 128)).astype(np.float32)
    ref = np.array(Image.fromarray(a).resize((17, 10), Image.NEAREST))
    out = pil_nearest_resize(torch.from_numpy(a), (10, 17)).numpy()
    np.testing.assert_array_equal(out, ref)


def test_bad_lengths():
    with pytest.raises(ValueError, match='positive'):
        pil_nearest_indices(0, 3)
