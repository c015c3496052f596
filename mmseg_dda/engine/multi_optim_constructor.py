"""One optimiser wrapper per submodule (docs/method.md §6.1, §12.5).

MMEngine core has no multi-optimiser constructor (mmagic registers one). DDA
trains the segmentor with SGD and the discriminator with Adam, so the config
gives one wrapper config per submodule name::

    optim_wrapper = dict(
        constructor='MultiOptimWrapperConstructor',
        segmentor=dict(
            type='OptimWrapper',
            optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9,
                           weight_decay=5e-4),
            # e.g. the DADA-style 10x head LR ablation:
            # paramwise_cfg=dict(custom_keys={'decode_head':
            #                                 dict(lr_mult=10.)}),
        ),
        discriminator=dict(
            type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.99))))

The result is an :class:`OptimWrapperDict`; a single ``param_scheduler`` list
is applied by the Runner to every wrapper with its own base LR, and
checkpoints save and resume every optimiser state.
"""
import copy
from typing import Dict, Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an :class:`OptimWrapperDict` keyed by submodule name.

    Each value of ``optim_wrapper_cfg`` is an ordinary optimiser-wrapper
    config (``type``, ``optimizer``, optional ``paramwise_cfg`` and
    ``constructor``) built by MMEngine's constructor for the submodule of
    the same name. Parameters with ``requires_grad=False`` (frozen BN affine
    parameters, §2.1) are left out of the optimisers.

    Args:
        optim_wrapper_cfg (dict): ``{submodule name: wrapper config}``.
        paramwise_cfg (dict, optional): Must be None; give a
            ``paramwise_cfg`` inside each submodule's config instead.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict) or not optim_wrapper_cfg:
            raise TypeError('MultiOptimWrapperConstructor: optim_wrapper_cfg '
                            'must be a non-empty dict of per-submodule '
                            f'configs, got {optim_wrapper_cfg!r}')
        if paramwise_cfg is not None:
            raise ValueError(
                'MultiOptimWrapperConstructor: a top-level paramwise_cfg is '
                'ambiguous with several optimisers; put paramwise_cfg inside '
                f'each of {sorted(optim_wrapper_cfg)}')
        self.constructors = {}
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise TypeError(
                    f'MultiOptimWrapperConstructor: the config of {name!r} '
                    'must be an optimiser-wrapper dict with an "optimizer" '
                    f'key, got {cfg!r}')
            cfg = copy.deepcopy(dict(cfg))
            constructor_type = cfg.pop('constructor',
                                       'DefaultOptimWrapperConstructor')
            sub_paramwise = cfg.pop('paramwise_cfg', None)
            self.constructors[name] = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(
                    type=constructor_type,
                    optim_wrapper_cfg=cfg,
                    paramwise_cfg=sub_paramwise))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the wrappers for ``model``'s submodules.

        Args:
            model (nn.Module): The model (possibly wrapped, e.g. by
                ``MMSeparateDistributedDataParallel``).

        Returns:
            OptimWrapperDict: One wrapper per configured submodule name.
        """
        if is_model_wrapper(model):
            model = model.module
        wrappers: Dict[str, OptimWrapper] = {}
        for name, constructor in self.constructors.items():
            submodule = getattr(model, name, None)
            if not isinstance(submodule, nn.Module):
                raise KeyError(
                    f'MultiOptimWrapperConstructor: {type(model).__name__} '
                    f'has no submodule {name!r} (available: '
                    f'{sorted(model._modules)})')
            wrapper = constructor(submodule)
            _drop_frozen_params(wrapper, name)
            wrappers[name] = wrapper
        return OptimWrapperDict(**wrappers)


def _drop_frozen_params(wrapper: OptimWrapper, name: str) -> None:
    """Remove ``requires_grad=False`` parameters from a fresh optimiser."""
    optimizer = wrapper.optimizer
    if optimizer.state:
        raise RuntimeError('MultiOptimWrapperConstructor: the optimiser of '
                           f'{name!r} already has state')
    groups = []
    for group in optimizer.param_groups:
        group['params'] = [p for p in group['params'] if p.requires_grad]
        if group['params']:
            groups.append(group)
    if not groups:
        raise ValueError(f'MultiOptimWrapperConstructor: submodule {name!r} '
                         'has no trainable parameters')
    optimizer.param_groups = groups
