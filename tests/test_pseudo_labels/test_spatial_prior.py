"""Hand-checked tests of the small-component filter (§8.2)."""
import mmseg_dda  # noqa: F401

import numpy as np
import pytest

from mmseg_dda.pseudo_labels import filter_small_components

X = 255


def test_diagonal_connection_strict_less_and_ignore_untouched():
    label = np.array([
        [0, X, X, 1, 1],
        [X, 0, X, 1, X],
        [X, X, 0, X, 2],
        [1, X, X, X, X],
        [X, 2, 2, X, 0],
    ], dtype=np.uint8)
    # class 0: the diagonal 0-0-0 is ONE component of 3 (8-connectivity),
    #          plus an isolated 0 at (4,4) of size 1.
    # class 1: {(0,3),(0,4),(1,3)} size 3, and (3,0) size 1.
    # class 2: (2,4) size 1; {(4,1),(4,2)} size 2.
    min_count = [3, 2, 2]
    out = filter_small_components(label, min_count)
    expected = np.array([
        [0, X, X, 1, 1],
        [X, 0, X, 1, X],
        [X, X, 0, X, X],   # class-2 singleton < 2 -> removed
        [X, X, X, X, X],   # class-1 singleton < 2 -> removed
        [X, 2, 2, X, X],   # size 2 == min_count: kept (strict <)
    ], dtype=np.uint8)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.uint8
    # The input is not modified.
    assert label[4, 4] == 0


def test_four_connectivity_would_differ():
    # An anti-diagonal pair is connected only through the corner.
    label = np.array([[X, 3], [3, X]], dtype=np.uint8)
    out = filter_small_components(label, [0, 0, 0, 2])
    np.testing.assert_array_equal(out, label)
    out = filter_small_components(label, [0, 0, 0, 3])
    assert (out == X).all()


def test_adjacent_different_classes_are_separate_components():
    label = np.array([[0, 0, 1, 1, 1]], dtype=np.uint8)
    out = filter_small_components(label, [3, 3])
    np.testing.assert_array_equal(out, [[X, X, 1, 1, 1]])


def test_bad_inputs():
    with pytest.raises(ValueError, match='min_count has only 2'):
        filter_small_components(np.array([[2]], dtype=np.uint8), [1, 1])
    with pytest.raises(ValueError, match=r'must be \(H, W\)'):
        filter_small_components(np.zeros((1, 2, 2), np.uint8), [1])
