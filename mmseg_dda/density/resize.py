"""PIL-exact nearest-neighbour resampling of label and depth maps.

The DDA reference downsamples the masked source depth to the feature grid with
``Image.resize(NEAREST)`` (docs/method.md §3.4). PIL samples pixel centres,
``src = floor((dst + 0.5) * src_len / dst_len)``, which is what torch calls
``'nearest-exact'`` -- *but* PIL evaluates the positions by accumulating the
scale in double precision (``xo = s/2; xo += s`` per output pixel, in
``ImagingScaleAffine``). The rounding of that running sum differs from the
closed form where ``(dst + 0.5) * s`` is an integer: for 1280 -> 161 columns,
output column 80 reads source column 639 in PIL and 640 in torch
``'nearest-exact'``. The functions here reproduce PIL bit for bit (checked in
``tests/test_density/test_resize.py`` against PIL on several hundred sizes).
"""
from typing import Tuple

import numpy as np
import torch


def pil_nearest_indices(src_len: int, dst_len: int) -> np.ndarray:
    """Source indices PIL NEAREST reads for each output index along one axis.

    Args:
        src_len (int): Input length (pixels).
        dst_len (int): Output length (pixels).

    Returns:
        np.ndarray: int64 array of shape ``(dst_len,)`` with values in
        ``[0, src_len - 1]``.
    """
    if src_len <= 0 or dst_len <= 0:
        raise ValueError(f'pil_nearest_indices: lengths must be positive, '
                         f'got src_len={src_len}, dst_len={dst_len}')
    scale = float(src_len) / float(dst_len)
    steps = np.full(dst_len, scale, dtype=np.float64)
    steps[0] = scale * 0.5
    # np.add.accumulate adds sequentially, like PIL's running sum.
    positions = np.add.accumulate(steps)
    return np.minimum(positions.astype(np.int64), src_len - 1)


def pil_nearest_resize(array: torch.Tensor, size_hw: Tuple[int,
                                                           int]) -> torch.Tensor:
    """Resize the last two dims of a tensor like PIL NEAREST.

    Args:
        array (torch.Tensor): Tensor of shape ``(..., H, W)`` (any dtype).
        size_hw (tuple[int, int]): Output ``(h, w)``.

    Returns:
        torch.Tensor: Tensor of shape ``(..., h, w)``, same dtype and device.
    """
    if array.ndim < 2:
        raise ValueError('pil_nearest_resize expects a tensor with at least '
                         f'2 dims (..., H, W), got shape {tuple(array.shape)}')
    h, w = int(size_hw[0]), int(size_hw[1])
    rows = torch.from_numpy(pil_nearest_indices(array.shape[-2], h)).to(
        array.device)
    cols = torch.from_numpy(pil_nearest_indices(array.shape[-1], w)).to(
        array.device)
    return array.index_select(-2, rows).index_select(-1, cols)
