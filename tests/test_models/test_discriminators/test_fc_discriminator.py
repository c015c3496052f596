import torch

import mmseg_dda  # noqa: F401
from mmseg.registry import MODELS
from mmseg_dda.models.discriminators import FCDiscriminator


def test_state_dict_keys_and_shapes():
    d = MODELS.build(dict(type='FCDiscriminator', in_channels=16))
    shapes = {k: tuple(v.shape) for k, v in d.state_dict().items()}
    assert shapes == {
        '0.weight': (64, 16, 4, 4), '0.bias': (64, ),
        '2.weight': (128, 64, 4, 4), '2.bias': (128, ),
        '4.weight': (256, 128, 4, 4), '4.bias': (256, ),
        '6.weight': (512, 256, 4, 4), '6.bias': (512, ),
        '8.weight': (1, 512, 4, 4), '8.bias': (1, )
    }
    assert d[1].negative_slope == 0.2


def test_output_sizes_small_channels():
    d = FCDiscriminator(in_channels=2, channels=(2, 2, 2, 2))
    with torch.no_grad():
        assert d(torch.zeros(1, 2, 760, 1280)).shape == (1, 1, 23, 40)
        assert d(torch.zeros(1, 2, 320, 640)).shape == (1, 1, 10, 20)
