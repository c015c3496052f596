"""The demo's toy data: class-specific depths, no one-domain cues, a
class-conditional target look, the 7-class mapping."""
import numpy as np
import pytest

from mmseg_dda.demo.toy.scene import SKY, VEGETATION
from mmseg_dda.demo.data import (DEMO_LAYOUT, TARGET_MIMIC, TO_7,
                                 class_weights, make_demo_sample)

SIZE = (160, 96)


@pytest.fixture(scope='module')
def samples():
    out = {}
    for dom in ('source', 'target'):
        items = [make_demo_sample(dom, SIZE, 0, i) for i in range(12)]
        out[dom] = [np.stack([it[k] for it in items]) for k in range(3)]
    return out


def test_seven_classes_each_present(samples):
    rgb, lab, dep = samples['source']
    assert rgb.shape == (12, 96, 160, 3) and rgb.dtype == np.uint8
    assert set(np.unique(lab)) <= set(range(7))  # no void, no ignore
    freq = np.bincount(lab.ravel(), minlength=7) / lab.size
    assert (freq > 0.005).all(), freq
    assert TO_7[SKY] == 4 and TO_7[VEGETATION] == 3


def test_class_specific_depths(samples):
    _, lab, dep = samples['source']
    med = {c: np.median(dep[lab == c]) for c in range(7)}
    # Inverse depth: larger is nearer. People < vehicles < poles/signs <
    # trees in distance (from the layout's depth ranges).
    assert med[5] > med[6] > med[2] > med[3] > med[4] == 1.0
    assert DEMO_LAYOUT.depths['person'][1] < DEMO_LAYOUT.depths['tree'][0]


def test_no_cue_on_one_domain_only(samples):
    # Same image size, no ego hood (void) rows in the target.
    for dom in ('source', 'target'):
        rgb, lab, _ = samples[dom]
        assert rgb.shape[1:3] == (96, 160)
        assert (lab != 255).all()
        # The bottom rows are street in both domains.
        assert (lab[:, -3:] == 0).mean() > 0.8


def test_target_look_is_class_conditional(samples):
    # Target trees take the facades' look (depth separates them); in the
    # source they differ clearly. A global colour change cannot do this.
    def mean_rgb(dom, c):
        rgb, lab, _ = samples[dom]
        return rgb[lab == c].astype(float).mean(0)
    src_gap = np.abs(mean_rgb('source', 3) - mean_rgb('source', 1)).sum()
    tgt_gap = np.abs(mean_rgb('target', 3) - mean_rgb('target', 1)).sum()
    assert tgt_gap < 0.4 * src_gap
    assert TARGET_MIMIC[SKY] != SKY


def test_deterministic_and_domain_checked():
    a = make_demo_sample('val', (64, 40), 3, 1)
    b = make_demo_sample('val', (64, 40), 3, 1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(ValueError, match='domain must be one of'):
        make_demo_sample('mapillary', (64, 40), 0, 0)


def test_class_weights_hand_computed():
    # Frequencies 0.5, 0.25, 0.25 (+ four absent classes at 1e-6).
    lab = np.array([0, 0, 1, 2, 255], np.uint8)
    w = class_weights(lab)
    freq = np.array([.5, .25, .25, 1e-6, 1e-6, 1e-6, 1e-6])
    raw = np.sqrt(np.median(freq) / freq)
    assert w == pytest.approx(list(raw / raw.mean()))
