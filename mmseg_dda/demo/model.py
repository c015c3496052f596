"""The demo's networks and optimisers (docs/demo.md "Protocol").

One :class:`~mmseg_dda.models.uda.DDA` model per arm: the narrow DeepLab-v2
of ``configs/_base_/models/toy_deeplabv2_r50_narrow.py`` with 7 classes,
a narrow FC discriminator and the GMM prior fitted on the demo source. The
arms differ only in ``adversarial_input`` and the loss weights, so that
every arm runs the same forward passes (same BN exposure to target images).
"""
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, OptimWrapperDict

from ..apis.seeded_model import build_seeded_model
from ..density.gmm import GMMParams
from ..engine.bf16_optim_wrapper import BF16OptimWrapper
from .data import NUM_CLASSES

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Config of the narrow segmentor (7 classes are set here).
BASE_CONFIG = osp.join(ROOT, 'configs', 'demo', 'toy_syn2city_dda.py')

#: The arms trained from one pre-trained checkpoint.
ARMS = ('source_only', 'entropy', 'dda')
#: The seed study's ablation (``--study``): DDA with the reference's target
#: density weight (the base config's ``density_tgt``) instead of the
#: demo's, to show what that weight does to the density head.
ABLATION_ARMS = ('dda_refweight', )


def arm_model_cfg(arm: str, gmm: GMMParams, adv_weight: float,
                  disc_channels=(32, 64, 64, 64),
                  channels_last: bool = False,
                  class_weight: Optional[list] = None,
                  density_tgt_weight: Optional[float] = None) -> dict:
    """Model config of one arm.

    ``source_only``: DDA's forward passes with the target loss weights 0;
    ``entropy``: discriminator on the entropy map (AdvEnt), no target
    density loss; ``dda``: entropy times density (docs/method.md §4);
    ``dda_refweight``: ``dda`` with the reference's ``density_tgt``.
    """
    if arm not in ARMS + ABLATION_ARMS:
        raise ValueError(f'demo: arm must be one of {ARMS + ABLATION_ARMS},'
                         f' got {arm!r}')
    cfg = Config.fromfile(BASE_CONFIG).model.to_dict()
    cfg['segmentor']['decode_head']['num_classes'] = NUM_CLASSES
    cfg['segmentor']['decode_head']['loss_decode']['class_weight'] = \
        class_weight
    cfg['discriminator'] = dict(type='FCDiscriminator',
                                in_channels=NUM_CLASSES,
                                channels=tuple(disc_channels))
    cfg['density'] = dict(type='GMMDensity', params=gmm,
                          num_classes=NUM_CLASSES)
    weights = dict(cfg['loss_weights'])
    if arm == 'source_only':
        weights.update(adv_tgt=0.0, density_tgt=0.0)
    else:
        weights.update(adv_tgt=float(adv_weight))
    if arm == 'dda' and density_tgt_weight is not None:
        weights.update(density_tgt=float(density_tgt_weight))
    if arm == 'entropy':
        weights.update(density_tgt=0.0)
    cfg['loss_weights'] = weights
    cfg['adversarial_input'] = 'entropy' if arm == 'entropy' else \
        'entropy_density'
    cfg['channels_last'] = channels_last
    return cfg


def build_model(cfg: dict, seed: int) -> torch.nn.Module:
    """Build and initialise a model with the torch seed ``seed``."""
    return build_seeded_model(cfg, seed)


def build_optim(model: torch.nn.Module, seg_lr: float, disc_lr: float,
                bf16: bool, seg_optimizer: str = 'sgd') -> OptimWrapperDict:
    """SGD (§6.1) or AdamW (the demo's source pre-training from scratch)
    for the segmentor, Adam for the discriminator (§6.1)."""
    wrapper = BF16OptimWrapper if bf16 else OptimWrapper
    params = model.segmentor.parameters()
    if seg_optimizer == 'sgd':
        opt = torch.optim.SGD(params, lr=seg_lr, momentum=0.9,
                              weight_decay=5e-4)
    elif seg_optimizer == 'adamw':
        opt = torch.optim.AdamW(params, lr=seg_lr, weight_decay=1e-4)
    else:
        raise ValueError(f'seg_optimizer must be sgd or adamw, got '
                         f'{seg_optimizer!r}')
    seg = wrapper(opt)
    disc = wrapper(torch.optim.Adam(model.discriminator.parameters(),
                                    lr=disc_lr, betas=(0.9, 0.99)))
    for w in (seg, disc):
        for g in w.optimizer.param_groups:
            g['initial_lr'] = g['lr']
    return OptimWrapperDict(segmentor=seg, discriminator=disc)


def set_poly_lr(optim: OptimWrapperDict, it: int, total: int,
                power: float = 0.9, warmup: int = 0) -> None:
    """The reference's poly decay ``base * (1 - it / total) ** power``,
    times ``(it + 1) / warmup`` for the first ``warmup`` iterations (a
    linear warm-up)."""
    factor = (1.0 - it / total) ** power
    for w in optim.values():
        for g in w.optimizer.param_groups:
            g['lr'] = g['initial_lr'] * factor
            if it < warmup:
                g['lr'] *= (it + 1) / warmup


def segmentor_state(model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """A copy of the segmentor's weights and BN statistics."""
    return {k: v.detach().clone()
            for k, v in model.segmentor.state_dict().items()}


def load_segmentor(model: torch.nn.Module,
                   state: Optional[Dict[str, torch.Tensor]]) -> None:
    """Load :func:`segmentor_state` output (strict)."""
    if state is not None:
        model.segmentor.load_state_dict(state, strict=True)
