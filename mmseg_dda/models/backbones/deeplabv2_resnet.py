"""DeepLab-v2 ResNet backbone (Caffe style, output stride 8).

Built on MMSeg's :class:`~mmseg.models.backbones.ResNet`, which already matches
the reference layout (docs/method.md §2.1, §11.4): with ``style='caffe'`` the
stride sits on the first 1x1 conv of a bottleneck, ``conv2`` uses
``padding = dilation``, every layer's first block has a
``downsample = (conv1x1, BN)`` and the parameter names are ``conv1``, ``bn1``,
``layerL.b.{conv1,bn1,conv2,bn2,conv3,bn3,downsample.0,downsample.1}``.

The one structural difference is the stem max-pool: the reference uses
``ceil_mode=True``, which gives the 96x161 (760x1280 input) and 41x81
(320x640 input) feature grids the GMM coordinates assume (§2.4, §12.2).
"""
from typing import Optional, Sequence, Union

import torch.nn as nn
from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS

from .recompute_bottleneck import RecomputeBottleneck

# Reference initialisation (§2.3): conv weights ~ N(0, 0.01), BN weight 1 and
# bias 0. Backbone convs have no bias, so mmengine's Normal init is exact.
_REFERENCE_INIT = [
    dict(type='Normal', std=0.01, layer='Conv2d'),
    dict(type='Constant', val=1, bias=0, layer='_BatchNorm'),
]


@MODELS.register_module()
class DeepLabV2ResNet(ResNet):
    """Caffe-style dilated ResNet of DeepLab-v2 / AdaptSegNet / ADVENT / DADA.

    Defaults reproduce the reference network (docs/method.md §2.1, §12.2):
    ResNet-101, strides ``(1, 2, 1, 1)``, dilations ``(1, 1, 2, 4)`` in every
    block of a layer (``contract_dilation=False``), frozen BN affine
    parameters (``requires_grad=False``) with BN still in train mode
    (``norm_eval=False``) and only the layer4 output (``out_indices=(3,)``).

    Args:
        depth (int): ResNet depth (50, 101 or 152). Defaults to 101.
        stem_channels (int): Output channels of ``conv1``. Reduce together
            with ``base_channels`` for tests and CPU demos. Defaults to 64.
        base_channels (int): Planes of ``layer1``; layer4 outputs
            ``base_channels * 8 * 4`` channels. Defaults to 64.
        strides (Sequence[int]): Stride of each layer. Defaults to
            ``(1, 2, 1, 1)``.
        dilations (Sequence[int]): Dilation of each layer. Defaults to
            ``(1, 1, 2, 4)``.
        out_indices (Sequence[int]): Layers whose outputs are returned.
            Defaults to ``(3,)``.
        style (str): ``'caffe'`` puts the stride on the first 1x1 conv.
        contract_dilation (bool): Halve the first block's dilation. The
            reference does not. Defaults to False.
        norm_cfg (dict): Norm layer config. Defaults to plain BN with frozen
            affine parameters.
        norm_eval (bool): Run BN in eval mode during training (frozen-BN
            option of §13.2). Defaults to False (reference behaviour).
        zero_init_residual (bool): Defaults to False (reference init).
        ceil_mode (bool): ``ceil_mode`` of the stem max-pool. Defaults to
            True (reference grid, §2.4).
        recompute_norm_inputs (bool | Sequence[int]): Stages (0-3) whose
            bottlenecks recompute the inputs of ``bn3`` and of the
            ``downsample`` BN in the backward pass instead of keeping them
            (bit-identical results); True for all stages, False for none.
            Defaults to ``(0, 1, 2)``: 1.8 GiB less memory per pass at
            760x1280 for 2-3% more time per step. layer4 keeps
            its BN inputs: there the 1x1 convs have 512 and 1024 input
            channels, so recomputing costs the most per byte saved.
        init_cfg (dict | list[dict], optional): Initialisation. Defaults to
            the reference init; pass ``dict(type='Pretrained', ...)`` to load
            converted ImageNet weights.
        **kwargs: Other arguments of :class:`mmseg.models.backbones.ResNet`.
    """

    arch_settings = {
        **ResNet.arch_settings,
        50: (RecomputeBottleneck, (3, 4, 6, 3)),
        101: (RecomputeBottleneck, (3, 4, 23, 3)),
        152: (RecomputeBottleneck, (3, 8, 36, 3)),
    }

    def __init__(self,
                 depth: int = 101,
                 stem_channels: int = 64,
                 base_channels: int = 64,
                 strides: Sequence[int] = (1, 2, 1, 1),
                 dilations: Sequence[int] = (1, 1, 2, 4),
                 out_indices: Sequence[int] = (3, ),
                 style: str = 'caffe',
                 contract_dilation: bool = False,
                 norm_cfg: Optional[dict] = None,
                 norm_eval: bool = False,
                 zero_init_residual: bool = False,
                 ceil_mode: bool = True,
                 recompute_norm_inputs: Union[bool, Sequence[int]] = (
                     0, 1, 2),
                 init_cfg=None,
                 **kwargs) -> None:
        if kwargs.get('deep_stem', False):
            raise ValueError(
                'DeepLabV2ResNet: deep_stem=True would rename the stem '
                '(stem.*) and break the reference key layout; use '
                "mmseg's ResNetV1c instead.")
        if norm_cfg is None:
            norm_cfg = dict(type='BN', requires_grad=False)
        if init_cfg is None:
            init_cfg = [dict(cfg) for cfg in _REFERENCE_INIT]
        super().__init__(
            depth=depth,
            stem_channels=stem_channels,
            base_channels=base_channels,
            strides=strides,
            dilations=dilations,
            out_indices=out_indices,
            style=style,
            contract_dilation=contract_dilation,
            norm_cfg=norm_cfg,
            norm_eval=norm_eval,
            zero_init_residual=zero_init_residual,
            init_cfg=init_cfg,
            **kwargs)
        # Reference stem: 3x3/2 max-pool with ceil_mode=True (§2.4).
        self.maxpool = nn.MaxPool2d(
            kernel_size=3, stride=2, padding=1, ceil_mode=ceil_mode)
        if isinstance(recompute_norm_inputs, bool):
            recompute_norm_inputs = range(
                len(self.res_layers)) if recompute_norm_inputs else ()
        stages = set(recompute_norm_inputs)
        if not stages <= set(range(len(self.res_layers))):
            raise ValueError(
                f'DeepLabV2ResNet: recompute_norm_inputs={sorted(stages)} '
                f'names stages outside 0..{len(self.res_layers) - 1}')
        for index, name in enumerate(self.res_layers):
            for block in getattr(self, name).modules():
                if isinstance(block, RecomputeBottleneck):
                    block.recompute_norm_inputs = index in stages

    def train(self, mode: bool = True) -> 'DeepLabV2ResNet':
        """Set train/eval mode (BN stays in eval with ``norm_eval``).

        MMSeg's ``ResNet.train`` returns None; return ``self`` like
        :meth:`torch.nn.Module.train` so that ``model.eval()`` chains.
        """
        super().train(mode)
        return self

    @property
    def out_channels(self) -> int:
        """int: Channels of the layer4 output (2048 for the default)."""
        return self.feat_dim
