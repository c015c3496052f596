"""Fully convolutional patch discriminator (docs/method.md §2.5).

Provenance: the design originates in AdaptSegNet (Tsai et al., CVPR 2018,
wasidennis/AdaptSegNet) and is used unchanged by ADVENT, DADA and DDA
(``get_fc_discriminator``); re-implemented here from the specification.
Licence note carried over from the original design: AdaptSegNet states that
its model and code are available for non-commercial research purposes only;
check its terms before any commercial use of this discriminator.
"""
from typing import Sequence

import torch.nn as nn
from mmseg.registry import MODELS


@MODELS.register_module()
class FCDiscriminator(nn.Sequential):
    """Stack of 4x4 stride-2 convolutions with LeakyReLU, ending in 1 logit.

    The layers are ``Conv, LReLU, Conv, LReLU, Conv, LReLU, Conv, LReLU, Conv``
    (bias, PyTorch default init), so that the state-dict keys are
    ``{0,2,4,6,8}.{weight,bias}`` as in the reference checkpoints. The output
    is ``floor`` halved five times: 23x40 for 760x1280, 10x20 for 320x640.

    Args:
        in_channels (int): Input channels (the number of classes C).
        channels (Sequence[int]): Hidden widths. Default (64, 128, 256, 512).
        negative_slope (float): LeakyReLU slope. Default 0.2.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (64, 128, 256, 512),
                 negative_slope: float = 0.2) -> None:
        if in_channels <= 0 or not channels:
            raise ValueError('FCDiscriminator: in_channels must be > 0 and '
                             'channels non-empty')
        layers = []
        prev = in_channels
        for width in channels:
            layers += [
                nn.Conv2d(prev, width, kernel_size=4, stride=2, padding=1),
                nn.LeakyReLU(negative_slope=negative_slope, inplace=True)
            ]
            prev = width
        layers.append(nn.Conv2d(prev, 1, kernel_size=4, stride=2, padding=1))
        super().__init__(*layers)
