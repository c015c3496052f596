"""Batch <-> per-sample pixel fields of ``SegDataSample`` (MMSeg convention).

MMSeg heads read their supervision from the data samples
(``gt_sem_seg``, ``gt_depth_map``) and stack it per batch; these two helpers
do that for any field and name the samples that lack it.
"""
from typing import Sequence

import torch
from mmengine.structures import PixelData
from mmseg.utils import SampleList
from torch import Tensor


def stack_pixel_data(batch_data_samples: SampleList, key: str, what: str,
                     owner: str) -> Tensor:
    """Stack the ``key`` pixel data of every sample into ``(N, ...)``.

    Args:
        batch_data_samples (list[SegDataSample]): The batch.
        key (str): Field name, e.g. ``'gt_density_map'``.
        what (str): What the field holds and who sets it, for the error.
        owner (str): Who reads it, for the error.

    Raises:
        KeyError: Naming the samples without ``key``.
    """
    missing = [
        i for i, sample in enumerate(batch_data_samples) if key not in sample
    ]
    if missing:
        raise KeyError(f'{owner}: data samples {missing} have no {key} '
                       f'({what})')
    return torch.stack([sample.get(key).data for sample in batch_data_samples])


def set_pixel_data(batch_data_samples: Sequence, key: str,
                   batch: Tensor) -> None:
    """Store ``batch[i]`` as the ``key`` pixel data of sample ``i``.

    Args:
        batch_data_samples (list[SegDataSample]): The batch (N samples).
        key (str): Field name.
        batch (Tensor): ``(N, C, h, w)``.
    """
    if batch.ndim != 4 or batch.shape[0] != len(batch_data_samples):
        raise ValueError(
            f'set_pixel_data({key!r}): expected ({len(batch_data_samples)}, '
            f'C, h, w), got {tuple(batch.shape)}')
    for sample, value in zip(batch_data_samples, batch):
        sample.set_data({key: PixelData(data=value)})
