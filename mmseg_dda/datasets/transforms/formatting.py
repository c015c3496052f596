"""Packing of the DDA fields into ``SegDataSample``."""
import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackDDAInputs(PackSegInputs):
    """:class:`PackSegInputs` plus the source density maps.

    Packs like MMSeg (``inputs`` ``(3, H, W)`` uint8, ``gt_sem_seg`` int64,
    ``gt_depth_map`` ``(1, H, W)`` float32) and adds ``gt_density_map``
    ``(C, h, w)`` float32 as :class:`PixelData` (feature grid, not resized).

    Args:
        meta_keys: As :class:`PackSegInputs`, plus ``resized_shape``,
            ``num_classes`` and ``density_squash_scale`` (the squash scale
            of the source density maps) by default.
    """

    def __init__(self,
                 meta_keys=('img_path', 'seg_map_path', 'ori_shape',
                            'img_shape', 'pad_shape', 'resized_shape',
                            'scale_factor', 'flip', 'flip_direction',
                            'reduce_zero_label', 'num_classes',
                            'density_squash_scale')) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        sample = packed['data_samples']
        if 'gt_depth_map' in results:
            depth = np.ascontiguousarray(results['gt_depth_map'], np.float32)
            sample.set_data(dict(gt_depth_map=PixelData(
                data=torch.from_numpy(depth[None].copy()))))
        if 'gt_density_map' in results:
            dens = np.ascontiguousarray(results['gt_density_map'], np.float32)
            if dens.ndim != 3:
                raise ValueError(
                    'gt_density_map must be (C, h, w), got '
                    f'{dens.shape} for {results.get("img_path")}')
            sample.set_data(dict(gt_density_map=PixelData(
                data=torch.from_numpy(dens.copy()))))
        return packed
