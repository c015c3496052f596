"""On-the-fly source density maps (docs/method.md §3.4, §13.18)."""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...density.gmm import GMMDensity
# Re-exported for configs, tests and tools that import it from here.
from ...density.grid import feature_grid_size

__all__ = ['ComputeSourceDensityMaps', 'feature_grid_size']


@TRANSFORMS.register_module()
class ComputeSourceDensityMaps(BaseTransform):
    """Compute the squashed source density maps from GT label and depth.

    Uses the native-resolution ``gt_seg_map`` (train ids) and
    ``gt_depth_map`` (inverse depth), so it must be placed **before** any
    resize, after :class:`LoadMappedAnnotations` and
    :class:`LoadInverseDepth`. The raw pdf of
    :meth:`GMMDensity.source_density_maps` is squashed in float32 (as the
    reference does when loading its stored maps) into ``gt_density_map``
    ``(C, h, w)``; it is not added to ``seg_fields``.

    Args:
        gmm: GMM parameter set (``'c16'``, ``'c7'``, ``'c7small'`` or a JSON
            path, see :class:`GMMDensity`): the model's, so derive it in the
            config (``gmm={{_base_.model.density.params}}``);
            :func:`~mmseg_dda.density.gmm_names.check_config_gmm` refuses
            another set at the start of training.
        set_name: Set to read from a JSON path, as ``model.density.set_name``.
        grid: Explicit feature grid ``(h, w)``.
        scale: Network input size ``(W, H)`` (the resize that follows);
            the grid is then :func:`feature_grid_size` of it. With neither
            ``grid`` nor ``scale`` the current image size is used (valid
            when no resize follows, e.g. SYNTHIA at native 1280x760).
            ``scale`` knows only the DeepLab-v2 ResNet; for other backbones
            give ``grid`` (``tools/fit_gmm.py CONFIG`` prints the model's).
            :class:`~mmseg_dda.engine.hooks.DensityGridCheckHook` refuses a
            grid that differs from the model's at the start of training.
    """

    def __init__(self,
                 gmm: Optional[str] = None,
                 set_name: Optional[str] = None,
                 grid: Optional[Sequence[int]] = None,
                 scale: Optional[Sequence[int]] = None) -> None:
        if gmm is None:
            raise ValueError(
                "ComputeSourceDensityMaps: gmm is required: the model's GMM "
                'set, e.g. gmm={{_base_.model.density.params}} in a config')
        if grid is not None and scale is not None:
            raise ValueError('ComputeSourceDensityMaps: give grid or scale, '
                             'not both')
        self.gmm = gmm
        self.set_name = set_name
        self.grid = tuple(int(v) for v in grid) if grid is not None else None
        self.scale = tuple(int(v) for v in scale) if scale else None
        # Built lazily: each dataloader worker makes its own small copy.
        self._density: Optional[GMMDensity] = None

    def grid_for(self, results: dict) -> Tuple[int, int]:
        """Feature grid used for one sample."""
        if self.grid is not None:
            return self.grid
        if self.scale is not None:
            return feature_grid_size((self.scale[1], self.scale[0]))
        return feature_grid_size(results['img'].shape[:2])

    def transform(self, results: dict) -> dict:
        for key in ('gt_seg_map', 'gt_depth_map'):
            if key not in results:
                raise KeyError(
                    f'ComputeSourceDensityMaps needs {key} (load it with '
                    'LoadMappedAnnotations / LoadInverseDepth first) for '
                    f'{results.get("img_path")}')
        label, depth = results['gt_seg_map'], results['gt_depth_map']
        if 'img' in results and label.shape != results['img'].shape[:2]:
            raise ValueError(
                'ComputeSourceDensityMaps must run before Resize: label '
                f'{label.shape} vs image {results["img"].shape[:2]} for '
                f'{results.get("img_path")}')
        if self._density is None:
            self._density = GMMDensity(self.gmm, self.set_name)
        num_classes = results.get('num_classes')
        if (num_classes is not None
                and int(num_classes) != self._density.num_classes):
            raise ValueError(
                f'ComputeSourceDensityMaps: GMM set {self.gmm!r} has '
                f'{self._density.num_classes} classes, the dataset '
                f'{num_classes}')
        maps = self._density.source_density_maps(
            torch.from_numpy(label.astype(np.int64)),
            torch.from_numpy(np.ascontiguousarray(depth, np.float32)),
            self.grid_for(results))
        results['gt_density_map'] = self._density.squash(
            maps.numpy().astype(np.float32, copy=False))
        results['density_squash_scale'] = self._density.squash_scale
        return results

    def __repr__(self) -> str:
        set_name = '' if self.set_name is None else \
            f', set_name={self.set_name!r}'
        return (f'{type(self).__name__}(gmm={self.gmm!r}{set_name}, '
                f'grid={self.grid}, scale={self.scale})')
