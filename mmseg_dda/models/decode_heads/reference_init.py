"""Reference weight initialisation of the DDA heads (docs/method.md §2.3).

The reference draws every conv weight from N(0, 0.01) and leaves conv biases
at PyTorch's default (uniform) init. MMEngine's ``Normal`` initializer would
also overwrite the biases with a constant, so the heads apply the reference
init themselves when no ``init_cfg`` is given.
"""
import torch.nn as nn

REFERENCE_CONV_STD = 0.01


class ReferenceInitMixin:
    """Mixin for :class:`mmengine.model.BaseModule` heads.

    ``init_cfg=None`` selects the reference init (conv weights
    ~ N(0, 0.01), biases untouched). Any explicit ``init_cfg`` (e.g.
    ``Pretrained``) goes through MMEngine as usual.
    """

    def init_weights(self) -> None:
        """Initialise the head's weights."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.normal_(module.weight, mean=0.0,
                                std=REFERENCE_CONV_STD)
        self._is_init = True
