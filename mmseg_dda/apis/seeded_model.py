"""Building a model from a config dict under a fixed torch seed.

The demo study (``mmseg_dda/demo/``, docs/demo.md) builds one model per arm
this way, so that every arm starts from the same initial weights.
"""
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS


def build_seeded_model(cfg: dict, seed: int) -> torch.nn.Module:
    """``MODELS.build(cfg)`` in the mmseg scope under ``torch.manual_seed(
    seed)``, then ``init_weights()``.

    Args:
        cfg (dict): The model config.
        seed (int): Torch seed of the initialisation.

    Returns:
        torch.nn.Module: The model (in training mode).
    """
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model
