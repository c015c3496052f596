"""DeepLab-v2 classifier head (docs/method.md §2.2; reference ``layer6``).

Four parallel 3x3 convolutions with bias and dilation = padding in
(6, 12, 18, 24), whose outputs are summed. There is no BN, no dropout and no
1x1 ``conv_seg``; MMSeg 1.x has no such head (§12.3).
"""
from typing import List, Sequence, Tuple, Union

import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from .reference_init import ReferenceInitMixin


@MODELS.register_module()
class DeepLabV2Head(ReferenceInitMixin, BaseDecodeHead):
    """Sum of four dilated 3x3 convs, ``conv2d_list.{0..3}`` (§2.2, §11.2).

    The names ``conv2d_list.i`` are kept so that converting a reference
    checkpoint is a prefix rename (§11.4). The training loss comes from
    :meth:`BaseDecodeHead.loss_by_feat`, which upsamples the logits to the
    label size with ``align_corners`` (True by default, as in the reference
    ``nn.Upsample(align_corners=True)``).

    Args:
        in_channels (int | Sequence[int]): Channels of the backbone
            feature (2048 for ResNet layer4), or of each output combined by
            ``input_transform='resize_concat'``.
        num_classes (int): Number of classes C.
        dilations (Sequence[int]): Dilation (= padding) of each branch.
            Defaults to ``(6, 12, 18, 24)``.
        align_corners (bool): Defaults to True.
        loss_decode (dict | list[dict]): Segmentation loss. Defaults to the
            unweighted :class:`WeightedCrossEntropyLoss` (ignore 255); set
            ``class_weight`` per experiment (§5.3).
        init_cfg (dict, optional): None selects the reference init (weights
            ~ N(0, 0.01), biases at PyTorch default, §2.3).
        **kwargs: Other :class:`BaseDecodeHead` arguments (``in_index``,
            ``ignore_index``...). ``channels``, ``dropout_ratio`` and
            ``norm_cfg`` are fixed by this head.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 align_corners: bool = True,
                 loss_decode: Union[dict, List[dict]] = dict(
                     type='WeightedCrossEntropyLoss',
                     ignore_index=255,
                     loss_weight=1.0),
                 init_cfg=None,
                 **kwargs) -> None:
        for fixed in ('channels', 'dropout_ratio', 'norm_cfg'):
            if fixed in kwargs:
                raise TypeError(
                    f'DeepLabV2Head: "{fixed}" is fixed by the DeepLab-v2 '
                    'head (no intermediate channels, no dropout, no BN).')
        if kwargs.get('input_transform') == 'multiple_select':
            raise ValueError(
                "DeepLabV2Head: input_transform='multiple_select' gives "
                "several maps; use None or 'resize_concat' (one map)")
        # ``channels`` is unused (no conv_seg); BaseDecodeHead needs an int.
        channels = sum(in_channels) if isinstance(in_channels,
                                                  (list, tuple)) else \
            in_channels
        super().__init__(
            in_channels=in_channels,
            channels=channels,
            num_classes=num_classes,
            dropout_ratio=0.,
            align_corners=align_corners,
            loss_decode=loss_decode,
            init_cfg=init_cfg,
            **kwargs)
        # The reference classifier maps features straight to C logits.
        del self.conv_seg
        self.dilations = tuple(dilations)
        self.conv2d_list = nn.ModuleList(
            nn.Conv2d(
                self.in_channels,
                self.out_channels,
                kernel_size=3,
                stride=1,
                padding=d,
                dilation=d,
                bias=True) for d in self.dilations)

    def forward(self, inputs: Union[Tensor, Tuple[Tensor]]) -> Tensor:
        """Compute the logits.

        Args:
            inputs (Tensor | tuple[Tensor]): Backbone outputs; the one at
                ``in_index`` has shape (N, in_channels, h, w).

        Returns:
            Tensor: Logits of shape (N, C, h, w) at the feature grid.
        """
        # A bare tensor is accepted too (``in_index`` would index the batch).
        x = inputs if isinstance(inputs, Tensor) else \
            self._transform_inputs(inputs)
        out = self.conv2d_list[0](x)
        for conv in self.conv2d_list[1:]:
            out = out + conv(x)
        return out
