"""Bottleneck that recomputes BN inputs in the backward pass.

A train-mode BN layer keeps its input (the output of the conv before it) for
the backward pass. After the 1x1 convs that expand a bottleneck to
``4 * planes`` channels (``conv3`` and the ``downsample`` conv) that input is
the widest tensor of the block and the cheapest to rebuild: at 760x1280 the
ResNet-101 keeps 2.3 GiB of them per forward pass (1.8 GiB in layers 1-3,
which :class:`~mmseg_dda.models.backbones.DeepLabV2ResNet` recomputes by
default), and recomputing them costs one 1x1 conv per block.
:func:`conv_norm` keeps the conv's input instead (which the conv keeps
anyway) and runs the conv again when the BN backward asks for its input.
Convolutions on a fixed input and thread count are deterministic, so losses
and gradients are bit-identical to keeping the tensor
(``tests/test_models/test_backbones/test_recompute_bottleneck.py``;
docs/DESIGN.md, "Model contracts").
"""
import weakref

import torch
import torch.nn as nn
from mmengine.utils.dl_utils.parrots_wrapper import _BatchNorm
from mmseg.models.backbones.resnet import Bottleneck
from torch import Tensor


class _ConvOutputRecipe:
    """How to rebuild ``conv(inputs)`` in the backward pass."""

    __slots__ = ('conv', 'inputs', 'weight_version', 'device_type',
                 'autocast', 'autocast_dtype')

    def __init__(self, conv: nn.Conv2d, inputs: Tensor) -> None:
        self.conv = conv
        self.inputs = inputs
        self.weight_version = conv.weight._version
        self.device_type = inputs.device.type
        self.autocast = torch.is_autocast_enabled(self.device_type)
        self.autocast_dtype = torch.get_autocast_dtype(self.device_type)

    def recompute(self) -> Tensor:
        if self.conv.weight._version != self.weight_version:
            raise RuntimeError(
                'conv_norm: the conv weight changed between the forward and '
                'the backward pass, so the BN input cannot be recomputed; '
                'run the backward before the optimiser step or build the '
                'backbone with recompute_norm_inputs=False.')
        with torch.no_grad(), torch.autocast(
                self.device_type, dtype=self.autocast_dtype,
                enabled=self.autocast):
            return self.conv(self.inputs)


def _unpack(saved):
    if isinstance(saved, _ConvOutputRecipe):
        return saved.recompute()
    return saved


def conv_norm(conv: nn.Module, norm: nn.Module, inputs: Tensor) -> Tensor:
    """``norm(conv(inputs))``, keeping ``inputs`` instead of the conv output.

    The norm's saved input is recomputed in the backward pass. This applies
    only when a graph is recorded, on real tensors and not under
    ``torch.compile`` (whose partitioner plans memory itself).

    Args:
        conv (nn.Module): The conv layer.
        norm (nn.Module): The norm layer that follows it.
        inputs (Tensor): Input of ``conv``.

    Returns:
        Tensor: ``norm(conv(inputs))``, the same values either way.
    """
    conv_out = conv(inputs)
    if not (conv_out.requires_grad and not conv_out.is_meta
            and not torch.compiler.is_compiling()):
        return norm(conv_out)
    recipe = _ConvOutputRecipe(conv, inputs)
    # The graph keeps the pack hook: a strong reference to the conv output
    # in its closure would keep the very tensor this is meant to free.
    conv_out_ref = weakref.ref(conv_out)

    def pack(tensor: Tensor):
        return recipe if tensor is conv_out_ref() else tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, _unpack):
        return norm(conv_out)


class RecomputeBottleneck(Bottleneck):
    """MMSeg's ResNet bottleneck with :func:`conv_norm` on its widest BNs.

    Identical parameters, names and outputs to
    :class:`mmseg.models.backbones.resnet.Bottleneck`; only what the autograd
    graph keeps differs. ``recompute_norm_inputs`` (set by
    :class:`~mmseg_dda.models.backbones.DeepLabV2ResNet`) switches between
    recomputing the inputs of ``norm3`` and of the ``downsample`` BN, and the
    parent's forward. Plugins and ``with_cp`` use the parent's forward.
    """

    recompute_norm_inputs = True

    def forward(self, x: Tensor) -> Tensor:
        """Forward function."""
        if not self.recompute_norm_inputs or self.with_plugins or (
                self.with_cp and x.requires_grad):
            return super().forward(x)
        out = self.relu(self.norm1(self.conv1(x)))
        out = self.relu(self.norm2(self.conv2(out)))
        out = conv_norm(self.conv3, self.norm3, out)
        out += self._shortcut(x)
        return self.relu(out)

    def _shortcut(self, x: Tensor) -> Tensor:
        downsample = self.downsample
        if downsample is None:
            return x
        if (isinstance(downsample, nn.Sequential) and len(downsample) == 2
                and isinstance(downsample[0], nn.Conv2d)
                and isinstance(downsample[1], _BatchNorm)):
            return conv_norm(downsample[0], downsample[1], x)
        return downsample(x)
