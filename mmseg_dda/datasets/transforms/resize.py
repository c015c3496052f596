"""Whole-image resize, optionally padded top-left (docs/method.md §7.5).

Why not mmcv/mmseg ``Resize(backend='pillow')``: it asserts uint8 input and
so fails on the float32 ``gt_depth_map``; this transform handles image,
labels and depth with the reference's resampling in one place.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image


def fit_size(img_wh: Sequence[int],
             target_wh: Sequence[int]) -> Tuple[int, int]:
    """Size ``(w, h)`` of the resized content of ``resize_with_pad``.

    Fit the width if ``img_W / img_H > W / H``, else the height; the other
    side is truncated with ``int()`` (§13.27).
    """
    iw, ih = img_wh
    tw, th = target_wh
    if iw / ih > tw / th:
        return tw, int(ih * tw / iw)
    return int(iw * th / ih), th


def aspect_pad_size(hw: Sequence[int],
                    target_wh: Sequence[int]) -> Tuple[int, int]:
    """``(h, w)`` after padding ``hw`` bottom/right to the target aspect
    ratio ``W / H`` (the DADA/CTRL full-resolution label protocol)."""
    h, w = hw
    ratio = target_wh[0] / target_wh[1]
    if w / h > ratio:
        return int(w / ratio), w
    if w / h < ratio:
        return h, int(h * ratio)
    return h, w


def _paste(arr: np.ndarray, out_hw: Sequence[int], fill) -> np.ndarray:
    out = np.full((*out_hw, *arr.shape[2:]), fill, dtype=arr.dtype)
    out[:arr.shape[0], :arr.shape[1]] = arr
    return out


def _pil_resize(arr: np.ndarray, size_wh: Sequence[int],
                resample: int) -> np.ndarray:
    if tuple(arr.shape[1::-1]) == tuple(size_wh):
        return arr
    return np.asarray(Image.fromarray(arr).resize(tuple(size_wh), resample))


@TRANSFORMS.register_module()
class ResizeWithPad(BaseTransform):
    """Resize to the network input ``(W, H)`` like the DDA reference.

    * ``keep_ratio=True`` (Mapillary, §7.5): resize to :func:`fit_size` and
      paste **top-left** into a ``(H, W)`` canvas. Image: PIL BICUBIC, pad
      ``img_pad_val`` (0, so the padding becomes ``-mean`` after
      normalisation). Labels: PIL NEAREST, pad ``seg_pad_val`` (255, applied
      after the LUT, i.e. the reference's ``bg_idx``).
    * ``keep_ratio=False`` (Cityscapes / SYNTHIA): stretch to ``(W, H)``,
      same resampling, no padding.

    Depth (``gt_depth_map``, float) is resized nearest with OpenCV by default
    (the reference's ``cv2.INTER_NEAREST`` for SYNTHIA depth, §7.3;
    ``'pillow'`` uses PIL NEAREST like the labels) and padded with ``depth_pad_val`` (0,
    never 255).

    ``scale_label=False`` (DADA/CTRL protocol) keeps ``gt_seg_map`` at full
    resolution; with ``keep_ratio=True`` it is padded bottom/right to the
    target aspect ratio. ``ori_shape`` is set to the shape of the evaluation
    label (``(H, W)`` for the reference protocol), ``img_shape`` and
    ``pad_shape`` to ``(H, W)`` and ``resized_shape`` to the content size.

    Args:
        scale: Target ``(W, H)``.
        keep_ratio: Fit and pad (True) or stretch (False).
        scale_label: Resize labels with the image (reference) or keep them at
            full resolution.
        img_pad_val: Image padding value.
        seg_pad_val: Label padding value.
        depth_pad_val: Depth padding value.
        depth_backend: ``'cv2'`` or ``'pillow'`` nearest for depth.
    """

    def __init__(self,
                 scale: Sequence[int],
                 keep_ratio: bool = True,
                 scale_label: bool = True,
                 img_pad_val: float = 0,
                 seg_pad_val: int = 255,
                 depth_pad_val: float = 0.0,
                 depth_backend: str = 'cv2') -> None:
        if len(scale) != 2:
            raise ValueError(f'scale must be (W, H), got {scale}')
        if depth_backend not in ('cv2', 'pillow'):
            raise ValueError("depth_backend must be 'cv2' or 'pillow', got "
                             f'{depth_backend!r}')
        self.scale = (int(scale[0]), int(scale[1]))
        self.keep_ratio = keep_ratio
        self.scale_label = scale_label
        self.img_pad_val = img_pad_val
        self.seg_pad_val = seg_pad_val
        self.depth_pad_val = depth_pad_val
        self.depth_backend = depth_backend

    def _resize_depth(self, depth: np.ndarray, size_wh) -> np.ndarray:
        if tuple(depth.shape[1::-1]) == tuple(size_wh):
            return depth
        if self.depth_backend == 'cv2':
            return cv2.resize(depth, tuple(size_wh),
                              interpolation=cv2.INTER_NEAREST)
        return _pil_resize(depth.astype(np.float32), size_wh, Image.NEAREST)

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        tw, th = self.scale
        nw, nh = fit_size((w, h), self.scale) if self.keep_ratio else (tw, th)

        results['img'] = _paste(
            _pil_resize(img, (nw, nh), Image.BICUBIC), (th, tw),
            self.img_pad_val)
        eval_shape = (th, tw)
        for key in results.get('seg_fields', []):
            arr = results.get(key)
            if arr is None:
                continue
            if np.issubdtype(arr.dtype, np.floating):
                results[key] = _paste(self._resize_depth(arr, (nw, nh)),
                                      (th, tw), self.depth_pad_val)
            elif self.scale_label:
                results[key] = _paste(
                    _pil_resize(arr, (nw, nh), Image.NEAREST), (th, tw),
                    self.seg_pad_val)
            else:
                if self.keep_ratio:
                    arr = _paste(arr, aspect_pad_size(arr.shape, self.scale),
                                 self.seg_pad_val)
                results[key] = arr
                if key == 'gt_seg_map':
                    eval_shape = arr.shape[:2]
        if not self.scale_label and 'gt_seg_map' not in results:
            eval_shape = (aspect_pad_size((h, w), self.scale)
                          if self.keep_ratio else (h, w))

        results['ori_shape'] = tuple(eval_shape)
        results['img_shape'] = (th, tw)
        results['pad_shape'] = (th, tw)
        results['resized_shape'] = (nh, nw)
        results['scale_factor'] = (nw / w, nh / h)
        results['keep_ratio'] = self.keep_ratio
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, '
                f'keep_ratio={self.keep_ratio}, '
                f'scale_label={self.scale_label}, '
                f'depth_backend={self.depth_backend!r})')
