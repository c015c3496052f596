"""Spatial aggregation prior: drop small connected components (§8.2).

Provenance: the behaviour follows the reference's compiled
``spatial_prior_algorithm.so`` (``Add1``) as specified in docs/method.md §8.2:
8-connected components of equal label, components with *strictly fewer*
pixels than ``min_count[label]`` become 255. Re-implemented with
``scipy.ndimage.label`` instead of a per-pixel flood fill.
"""
from typing import Sequence

import numpy as np
from scipy import ndimage

# 8-connectivity: the reference's neighbour offsets include the diagonals.
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def filter_small_components(label: np.ndarray,
                            min_count: Sequence[int],
                            ignore_index: int = 255) -> np.ndarray:
    """Set 8-connected components smaller than ``min_count[c]`` to ignore.

    Components are taken per label value, so the result does not depend on
    the order in which classes are processed. Pixels equal to
    ``ignore_index`` are never changed, and a class absent from
    ``min_count``'s range is an error.

    Args:
        label (np.ndarray): ``(H, W)`` uint8 train-id map (``ignore_index``
            marks unlabelled pixels).
        min_count (Sequence[int]): Minimum component size per class; a
            component of size ``< min_count[c]`` (strict) is removed.
        ignore_index (int): Value of unlabelled pixels. Defaults to 255.

    Returns:
        np.ndarray: A filtered copy of ``label`` (same dtype).

    Raises:
        ValueError: On a non-2-D label or a class id without ``min_count``.
    """
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError('filter_small_components: label must be (H, W), got '
                         f'shape {label.shape}')
    min_count = np.asarray(min_count, dtype=np.int64)
    out = label.copy()
    classes = np.unique(label)
    classes = classes[classes != ignore_index]
    if classes.size and classes.max() >= len(min_count):
        raise ValueError(
            f'filter_small_components: label contains class {classes.max()} '
            f'but min_count has only {len(min_count)} entries')
    for c in classes:
        threshold = min_count[c]
        if threshold <= 1:  # no component can be smaller than 1 pixel
            continue
        comp, num = ndimage.label(label == c, structure=_EIGHT_CONNECTED)
        sizes = np.bincount(comp.ravel(), minlength=num + 1)
        small = sizes < threshold
        small[0] = False  # component 0 is the background of this class
        out[small[comp]] = ignore_index
    return out
