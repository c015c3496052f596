"""Depth and density heads (docs/method.md §2.2, ``enc5_*`` / ``enc4_*``).

Both branches are ``conv1`` (1x1) -> ReLU -> ``conv2`` (3x3, padding 1) ->
ReLU -> ``conv3`` (1x1) followed by a mean over the channels, which gives one
map (N, 1, h, w) at the feature grid, with no output activation. The depth
branch regresses SYNTHIA inverse depth ``65536 / (raw + 1)``; the density
branch regresses the squashed GMM density of the predicted class (§3.5,
§3.6). The layout follows :class:`mmseg.models.decode_heads.VPDDepthHead`,
which reads ``gt_depth_map`` from the data samples. Like MMSeg's decode
heads, they take any backbone's outputs through ``in_channels``,
``in_index`` and ``input_transform`` (a ResNet's layer4 by default, the
four MiT stages with ``'resize_concat'``).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from ..data_samples import set_pixel_data, stack_pixel_data
from .reference_init import ReferenceInitMixin

#: Data-sample field holding the density head's target (set by DDA).
DENSITY_TARGET = 'gt_density_target'


class MeanProjectionHead(ReferenceInitMixin, BaseDecodeHead):
    """Three convs and a channel mean: the shared body of both heads.

    Args:
        in_channels (int | Sequence[int]): Channels of the selected backbone
            output(s). Defaults to 2048 (ResNet layer4).
        channels (int): Width of ``conv1`` / ``conv2``. Defaults to 512.
        proj_channels (int): Output channels of ``conv3`` before the mean.
            Defaults to 128.
        in_index (int | Sequence[int]): Which backbone output(s) to use.
            Defaults to -1.
        input_transform (str, optional): How several outputs are combined,
            the MMSeg way (:meth:`BaseDecodeHead._transform_inputs`):
            None (one output, ``in_index`` an int), ``'resize_concat'``
            (bilinear to the size of the first selected output, then
            concatenated; ``conv1`` sees ``sum(in_channels)`` channels) or
            ``'multiple_select'`` (``conv1`` is one 1x1 conv per output,
            ``conv1.{i}``; their results are resized to the first output's
            size and summed). The prediction lies on the grid of the first
            selected output, which must be the segmentation head's grid.
        align_corners (bool): Used when inputs or the prediction are
            resized. Defaults to True (reference
            ``nn.Upsample(align_corners=True)``).
        loss_decode (dict | list[dict]): Regression loss(es). Defaults to
            :class:`BerHuLoss` (§5.2). Keep ``loss_weight=1``: the DDA loss
            weights (λ of §5.4) are applied by :class:`DDA`.
        init_cfg (dict, optional): None selects the reference init (weights
            ~ N(0, 0.01), biases at PyTorch default, §2.3).
    """

    # The heads predict a single map; BaseDecodeHead users read these.
    num_classes = 1
    out_channels = 1
    ignore_index = None
    threshold = None

    def __init__(self,
                 in_channels: Union[int, Sequence[int]] = 2048,
                 channels: int = 512,
                 proj_channels: int = 128,
                 in_index: Union[int, Sequence[int]] = -1,
                 input_transform: Optional[str] = None,
                 align_corners: bool = True,
                 loss_decode: Union[dict, List[dict]] = dict(
                     type='BerHuLoss', threshold_ratio=0.2, loss_weight=1.0),
                 init_cfg=None) -> None:
        # Skip BaseDecodeHead.__init__: it would build conv_seg and dropout
        # (same pattern as mmseg's VPDDepthHead).
        BaseModule.__init__(self, init_cfg=init_cfg)
        self._check_inputs(in_channels, in_index, input_transform)
        # Sets in_channels (summed for 'resize_concat'), in_index and
        # input_transform exactly as MMSeg's decode heads do.
        self._init_inputs(in_channels, in_index, input_transform)
        self.channels = channels
        self.proj_channels = proj_channels
        self.align_corners = align_corners
        self.sampler = None

        if input_transform == 'multiple_select':
            self.conv1 = nn.ModuleList(
                nn.Conv2d(c, channels, kernel_size=1)
                for c in self.in_channels)
        else:
            self.conv1 = nn.Conv2d(self.in_channels, channels, kernel_size=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(channels, proj_channels, kernel_size=1)
        self.relu = nn.ReLU(inplace=True)

        if isinstance(loss_decode, dict):
            self.loss_decode = MODELS.build(loss_decode)
        elif isinstance(loss_decode, (list, tuple)):
            self.loss_decode = nn.ModuleList(
                MODELS.build(cfg) for cfg in loss_decode)
        else:
            raise TypeError(f'{type(self).__name__}: loss_decode must be a '
                            f'dict or a list of dicts, got '
                            f'{type(loss_decode)}')

    def forward(self, inputs: Union[Tensor, Tuple[Tensor]]) -> Tensor:
        """Predict the map at the feature grid.

        Args:
            inputs (Tensor | tuple[Tensor]): Backbone outputs; the selected
                one has shape (N, in_channels, h, w).

        Returns:
            Tensor: (N, 1, h, w), no activation.
        """
        if isinstance(inputs, Tensor):
            if self.input_transform is not None:
                raise TypeError(
                    f'{type(self).__name__}: input_transform='
                    f'{self.input_transform!r} needs the tuple of backbone '
                    'outputs, got one tensor')
            x = self.conv1(inputs)
        elif self.input_transform == 'multiple_select':
            feats = self._transform_inputs(inputs)
            size = feats[0].shape[2:]
            x = None
            for conv, feat in zip(self.conv1, feats):
                # A 1x1 conv commutes with bilinear resizing: project first,
                # at each output's own (smaller) size.
                y = resize(conv(feat), size=size, mode='bilinear',
                           align_corners=self.align_corners)
                x = y if x is None else x + y
        else:
            x = self.conv1(self._transform_inputs(inputs))
        x = self.relu(x)
        x = self.relu(self.conv2(x))
        x = self.conv3(x)
        return x.mean(dim=1, keepdim=True)

    def _check_inputs(self, in_channels, in_index, input_transform) -> None:
        """Name the argument that does not fit (MMSeg only asserts)."""
        name = type(self).__name__
        if input_transform not in (None, 'resize_concat', 'multiple_select'):
            raise ValueError(
                f"{name}: input_transform must be None, 'resize_concat' or "
                f"'multiple_select', got {input_transform!r}")
        if input_transform is None:
            if not isinstance(in_channels, int) or \
                    not isinstance(in_index, int):
                raise TypeError(
                    f'{name}: without input_transform, in_channels and '
                    'in_index must be ints (one backbone output), got '
                    f'in_channels={in_channels!r}, in_index={in_index!r}; '
                    "set input_transform='resize_concat' for several")
        elif not (isinstance(in_channels, (list, tuple))
                  and isinstance(in_index, (list, tuple))
                  and len(in_channels) == len(in_index) > 0):
            raise TypeError(
                f'{name}: input_transform={input_transform!r} needs '
                'in_channels and in_index as lists of the same length, got '
                f'in_channels={in_channels!r}, in_index={in_index!r}')

    def _apply_losses(self, pred: Tensor, target: Tensor) -> Dict[str, Tensor]:
        """Sum every configured loss by its ``loss_name``."""
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        losses: Dict[str, Tensor] = dict()
        for loss_decode in losses_decode:
            value = loss_decode(pred, target)
            name = loss_decode.loss_name
            losses[name] = losses[name] + value if name in losses else value
        return losses


@MODELS.register_module()
class DepthHead(MeanProjectionHead):
    """Inverse-depth head (reference ``enc5_{1,2,3}``, §2.2).

    Its loss (:meth:`loss_by_feat`) upsamples the prediction to the size of
    ``gt_depth_map`` (bilinear, ``align_corners``) and applies BerHu (§5.1).
    """

    def _stack_batch_gt(self, batch_data_samples: SampleList) -> Tensor:
        return stack_pixel_data(batch_data_samples, 'gt_depth_map',
                                'SYNTHIA inverse depth', type(self).__name__)

    def loss_by_feat(self, pred_depth: Tensor,
                     batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Depth loss at the label resolution.

        Args:
            pred_depth (Tensor): (N, 1, h, w) prediction at the feature grid.
            batch_data_samples (list[SegDataSample]): Samples with
                ``gt_depth_map`` (1, H, W).

        Returns:
            dict[str, Tensor]: Losses keyed by ``loss_name``.
        """
        gt_depth = self._stack_batch_gt(batch_data_samples).to(
            pred_depth.dtype)
        pred_depth = resize(
            input=pred_depth,
            size=gt_depth.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        return self._apply_losses(pred_depth, gt_depth)


@MODELS.register_module()
class DensityHead(MeanProjectionHead):
    """Density head (reference ``enc4_{1,2,3}``, §2.2).

    The density target depends on the GMM prior and on the current
    segmentation (§3.5, §3.6): :class:`DDA` computes it and attaches it to
    the data samples as ``gt_density_target`` (:meth:`set_targets`); the
    loss then follows MMSeg's API (:meth:`loss` =
    :meth:`forward` + :meth:`loss_by_feat`) and compares at the feature grid.

    Args:
        with_unused_branch (bool): Add the reference's ``enc4_4`` (as
            ``conv4``, ``proj_channels -> unused_channels``) and ``dec4`` (as
            ``dec``, ``proj_channels -> in_channels``). They are never used
            in ``forward`` and exist only for strict state-dict round-trips
            (§13.3); with DDP they need ``find_unused_parameters=True``.
            Defaults to False.
        unused_channels (int): Output channels of ``conv4``. Defaults to 16.
        **kwargs: Arguments of :class:`MeanProjectionHead`.
    """

    def __init__(self,
                 with_unused_branch: bool = False,
                 unused_channels: int = 16,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_unused_branch = with_unused_branch
        if with_unused_branch:
            self.conv4 = nn.Conv2d(
                self.proj_channels, unused_channels, kernel_size=1)
            # Reference shape: back to the backbone width.
            width = self.in_channels if isinstance(
                self.in_channels, int) else sum(self.in_channels)
            self.dec = nn.Conv2d(self.proj_channels, width, kernel_size=1)

    @staticmethod
    def set_targets(batch_data_samples: SampleList, targets: Tensor) -> None:
        """Attach the density targets to the data samples.

        Args:
            batch_data_samples (list[SegDataSample]): The batch the targets
                belong to; each sample gets ``gt_density_target`` (1, h, w).
            targets (Tensor): (N, 1, h, w) squashed density targets, detached
                (:meth:`GMMDensity.source_density_target` or
                :meth:`GMMDensity.target_density_target`).
        """
        set_pixel_data(batch_data_samples, DENSITY_TARGET, targets)

    def _stack_batch_gt(self, batch_data_samples: SampleList) -> Tensor:
        """Stack the density targets ``gt_density_target`` of the batch."""
        return stack_pixel_data(
            batch_data_samples, DENSITY_TARGET,
            'density target, attached by DDA with DensityHead.set_targets',
            type(self).__name__)

    def loss_by_feat(self, pred_density: Tensor,
                     batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Density loss at the feature grid.

        Args:
            pred_density (Tensor): (N, 1, h, w) prediction.
            batch_data_samples (list[SegDataSample]): Samples with
                ``gt_density_target`` (1, h, w), see :meth:`set_targets`.

        Returns:
            dict[str, Tensor]: Losses keyed by ``loss_name``.
        """
        target = self._stack_batch_gt(batch_data_samples)
        if target.shape != pred_density.shape:
            raise ValueError(
                f'DensityHead: density target shape {tuple(target.shape)} '
                f'differs from the prediction {tuple(pred_density.shape)}; '
                'both must be at the feature grid')
        return self._apply_losses(pred_density,
                                  target.to(pred_density.dtype))
