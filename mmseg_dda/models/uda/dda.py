"""DDA: adversarial UDA with a density head (docs/method.md §4, §5).

The stage-1 training iteration of the reference
(``main/domain_adaptation/train_UDA.py:train_depdis``), re-implemented on
MMEngine's :class:`BaseModel` with an :class:`OptimWrapperDict` holding one
wrapper for the segmentor and one for the discriminator (the mmagic
``BaseGAN.train_step`` pattern). Inference delegates to the segmentor.

One iteration (§5.1), batch of N source + N target images::

    (1) source forward: CE(up(seg)) + BerHu(up(depth)) + BerHu(density,
        source_density_target(gt maps, seg.detach()))     -> backward (G)
    (2) target forward, D frozen: BerHu(density,
        target_density_target(seg.detach(), depth.detach()))
        + BCE(D(ent(softmax(up(seg))) * up(density)), SOURCE) -> backward (G)
    (3) D on detached maps: BCE(D(src_map), SOURCE)          -> backward (D)
    (4)                      BCE(D(tgt_map), TARGET)          -> backward (D)
    finite check of every loss, then step(G), step(D)

``up`` is bilinear upsampling to the input size with ``align_corners=True``.
Source and target go through separate forward passes, so BN uses per-domain
batch statistics (§2.1).
"""
from collections import OrderedDict
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from ...checkpoint.fitting import register_checked_loading
from ...compat.optim_wrapper import uncount_backward
from ..data_samples import stack_pixel_data
from ..losses import SOURCE_LABEL, TARGET_LABEL, adversarial_bce, entropy_map
from ..mmseg_api import MMSegAPIMixin

#: λ of the reference configs for SYNTHIA -> Cityscapes (§5.4, expid 1).
DEFAULT_LOSS_WEIGHTS = dict(
    seg_src=1.0,
    density_src=0.01,
    depth_src=0.005,
    adv_tgt=0.05,
    density_tgt=0.05)

#: Discriminator inputs: DDA (default), ADVENT and DADA.
ADVERSARIAL_INPUTS = ('entropy_density', 'entropy', 'entropy_depth')

LOSS_KEYS = ('src.loss_seg', 'src.loss_depth', 'src.loss_density',
             'tgt.loss_adv', 'tgt.loss_density', 'disc.loss_src',
             'disc.loss_tgt')


class NonFiniteLossError(FloatingPointError):
    """A DDA loss is NaN or infinite; no optimiser has stepped."""


@MODELS.register_module()
class DDA(MMSegAPIMixin, BaseModel):
    """UDA wrapper: segmentor + discriminator + GMM density prior.

    Args:
        segmentor (dict): :class:`DepthDensitySegmentor` config. The density
            losses need a ``density_head`` (and a ``depth_head`` for the
            target density target); the depth loss needs a ``depth_head``.
        discriminator (dict): :class:`FCDiscriminator` config with
            ``in_channels`` = number of classes.
        density (dict): :class:`GMMDensity` config (parameters are buffers,
            not checkpointed).
        loss_weights (dict, optional): λ of §5.4, keys ``seg_src``,
            ``density_src``, ``depth_src``, ``adv_tgt``, ``density_tgt``.
            Missing keys take :data:`DEFAULT_LOSS_WEIGHTS` (expid 1).
        adversarial_input (str): Discriminator input:
            ``'entropy_density'`` (DDA, §4), ``'entropy'`` (ADVENT) or
            ``'entropy_depth'`` (DADA: entropy times predicted inverse depth).
        source_density_gather (str): ``'pred'`` (reference, §3.5) or
            ``'gt'`` (ablation of §13.6).
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config,
            applied to the source and the target halves separately.
        init_cfg (dict, optional): Initialisation config.
        pretrained (str, optional): Must be None; accepted because
            ``mmseg.apis.init_model`` sets it. Use ``init_cfg``.
        train_cfg (dict, optional): Must be None or empty; accepted because
            ``mmseg.apis.init_model`` sets it. The segmentor has its own.
        channels_last (bool): Keep the segmentor, the discriminator and the
            network inputs in the channels-last memory format (faster
            convolutions on CPUs with oneDNN and on tensor-core GPUs).
            Results equal the default layout's up to float rounding, not
            bit for bit. Default: False.

    MMSeg's inference API (``init_model``, ``inference_model``,
    ``MMSegInferencer``) works on this model: see
    :class:`~mmseg_dda.models.mmseg_api.MMSegAPIMixin`.
    """

    def __init__(self,
                 segmentor: ConfigType,
                 discriminator: ConfigType,
                 density: ConfigType,
                 loss_weights: Optional[Dict[str, float]] = None,
                 adversarial_input: str = 'entropy_density',
                 source_density_gather: str = 'pred',
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 pretrained: Optional[str] = None,
                 train_cfg: OptConfigType = None,
                 channels_last: bool = False) -> None:
        if pretrained is not None:
            raise ValueError(
                'DDA: pretrained is not supported; set init_cfg of the '
                "segmentor's backbone (type='Pretrained')")
        if train_cfg:
            raise ValueError('DDA: train_cfg belongs to the segmentor '
                             '(model.segmentor.train_cfg)')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.segmentor = MODELS.build(segmentor)
        self.discriminator = MODELS.build(discriminator)
        self.density = MODELS.build(density)
        # Loading a state dict that leaves tensors unset is refused, by
        # whoever loads (MMSeg's init_model included).
        register_checked_loading(self)

        weights = dict(DEFAULT_LOSS_WEIGHTS)
        unknown = set(loss_weights or {}) - set(weights)
        if unknown:
            raise ValueError(f'DDA: unknown loss_weights keys {sorted(unknown)}'
                             f'; expected a subset of {sorted(weights)}')
        weights.update({k: float(v) for k, v in (loss_weights or {}).items()})
        self.loss_weights = weights

        if adversarial_input not in ADVERSARIAL_INPUTS:
            raise ValueError(f'DDA: adversarial_input must be one of '
                             f'{ADVERSARIAL_INPUTS}, got {adversarial_input!r}')
        self.adversarial_input = adversarial_input
        if source_density_gather not in ('pred', 'gt'):
            raise ValueError("DDA: source_density_gather must be 'pred' or "
                             f"'gt', got {source_density_gather!r}")
        self.source_density_gather = source_density_gather
        self._check_components()
        self.channels_last = bool(channels_last)
        self._apply_memory_format()

    def _apply_memory_format(self) -> None:
        if self.channels_last:
            for module in (self.segmentor, self.discriminator):
                module.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        """Initialise the weights in the default layout (random in-place
        initialisers fill memory in storage order), then restore
        channels-last: the same initial weights in both layouts."""
        if self.channels_last:
            for module in (self.segmentor, self.discriminator):
                module.to(memory_format=torch.contiguous_format)
        super().init_weights()
        self._apply_memory_format()

    def _to_memory_format(self, inputs: Tensor) -> Tensor:
        if self.channels_last and isinstance(inputs, Tensor) and \
                inputs.dim() == 4:
            return inputs.contiguous(memory_format=torch.channels_last)
        return inputs

    def _check_components(self) -> None:
        seg = self.segmentor
        if seg.num_classes != self.density.num_classes:
            raise ValueError(
                f'DDA: the segmentor has {seg.num_classes} classes but the '
                f'GMM prior has {self.density.num_classes}')
        first_conv = next(
            (m for m in self.discriminator.modules()
             if isinstance(m, nn.Conv2d)), None)
        if first_conv is not None and first_conv.in_channels != \
                seg.num_classes:
            raise ValueError(
                f'DDA: the discriminator takes {first_conv.in_channels} '
                f'channels but the segmentor has {seg.num_classes} classes')
        if self.adversarial_input == 'entropy_density' and \
                not seg.with_density_head:
            raise ValueError("DDA: adversarial_input='entropy_density' needs "
                             'a density_head in the segmentor')
        if self.adversarial_input == 'entropy_depth' and \
                not seg.with_depth_head:
            raise ValueError("DDA: adversarial_input='entropy_depth' needs "
                             'a depth_head in the segmentor')
        if seg.with_density_head and not seg.with_depth_head:
            raise ValueError('DDA: the target density target needs the '
                             'predicted depth; add a depth_head')

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    @staticmethod
    def _unwrap(module: nn.Module) -> nn.Module:
        """The plain module under a DDP wrapper (for attribute access)."""
        return module.module if is_model_wrapper(module) else module

    @property
    def _seg(self):
        return self._unwrap(self.segmentor)

    @property
    def num_classes(self) -> int:
        """int: Number of classes of the segmentor."""
        return self._seg.num_classes

    @property
    def decode_head(self) -> nn.Module:
        """The segmentor's segmentation head (MMSeg's ``init_model`` reads
        ``decode_head.num_classes`` when a checkpoint has no class names)."""
        return self._seg.decode_head

    @staticmethod
    def _up(x: Tensor, size) -> Tensor:
        # Reference nn.Upsample(size, mode='bilinear', align_corners=True).
        return F.interpolate(
            x, size=size, mode='bilinear', align_corners=True)

    def _adversarial_map(self, heads: Dict[str, Tensor], size) -> Tensor:
        """Discriminator input at the input resolution (§4).

        ``ent(softmax(up(seg), dim=1)) * up(density)``: per-channel entropy
        (C channels) times the 1-channel raw density, broadcast over C.
        """
        prob = F.softmax(self._up(heads['seg_logits'], size), dim=1)
        ent = entropy_map(prob)
        if self.adversarial_input == 'entropy':
            out = ent
        else:
            key = 'density' if self.adversarial_input == \
                'entropy_density' else 'depth'
            out = ent * self._up(heads[key], size)
        return out

    @staticmethod
    def _float_heads(heads: Dict[str, Tensor]) -> Dict[str, Tensor]:
        # Under bf16 autocast the heads come out in bf16; the losses, density
        # targets and D maps are computed from float32 copies (small grids).
        # A no-op for float32 heads.
        return {
            k: v.float() if v is not None and v.is_floating_point() else v
            for k, v in heads.items()
        }

    @staticmethod
    def _backward(wrapper: OptimWrapper, loss: Tensor, last: bool) -> None:
        """Backward one part of this iteration's loss through ``wrapper``.

        The reference backpropagates the source and target parts separately
        (the source graph is freed before the target forward). MMEngine's
        wrappers count one backward as one accumulation step, so every part
        but the last is uncounted again: one iteration stays one step for
        gradient accumulation, AMP and DDP ``no_sync``.
        """
        wrapper.backward(wrapper.scale_loss(loss))
        if not last:
            uncount_backward(wrapper)  # MMEngine counts each backward

    @staticmethod
    def _set_requires_grad(module: nn.Module, flags) -> Dict[str, bool]:
        """Set ``requires_grad`` (bool or saved dict); return the old flags."""
        old = {}
        for name, param in module.named_parameters():
            old[name] = param.requires_grad
            param.requires_grad_(flags if isinstance(flags, bool) else
                                 flags[name])
        return old

    @staticmethod
    def _current_iter() -> Optional[int]:
        return MessageHub.get_current_instance().get_info('iter')

    # ------------------------------------------------------------------
    # losses
    # ------------------------------------------------------------------
    def _source_losses(self, heads: Dict[str, Tensor],
                       data_samples: SampleList) -> Dict[str, Tensor]:
        """Weighted source losses (§5.1 step 1)."""
        seg = self._seg
        w = self.loss_weights
        seg_logits = heads['seg_logits']
        losses = OrderedDict()
        # CE at the label (input) resolution, align_corners=True, ignore 255.
        ce = seg.decode_head.loss_by_feat(seg_logits, data_samples)
        losses['src.loss_seg'] = w['seg_src'] * sum(
            v for k, v in ce.items() if k.startswith('loss'))
        if seg.with_depth_head:
            dep = seg.depth_head.loss_by_feat(heads['depth'], data_samples)
            losses['src.loss_depth'] = w['depth_src'] * sum(dep.values())
        if seg.with_density_head:
            maps = stack_pixel_data(
                data_samples, 'gt_density_map',
                'source density maps: LoadSourceDensityMaps or '
                'ComputeSourceDensityMaps in the source pipeline', 'DDA')
            self._check_squash_scale(data_samples)
            gt_label = None
            if self.source_density_gather == 'gt':
                gt_label = stack_pixel_data(data_samples, 'gt_sem_seg',
                                            'source label', 'DDA')
            target = self.density.source_density_target(
                maps.float(),
                seg_logits.detach(),
                gather=self.source_density_gather,
                gt_label=gt_label)
            seg.density_head.set_targets(data_samples, target)
            den = seg.density_head.loss_by_feat(heads['density'],
                                                data_samples)
            losses['src.loss_density'] = w['density_src'] * sum(den.values())
        return losses

    def _check_squash_scale(self, data_samples: SampleList) -> None:
        """Refuse source maps squashed with another scale than the prior's
        (a fitted set stores its own scale, docs/method.md §3.3): the
        source and target density targets would be on different scales."""
        scales = {s.metainfo['density_squash_scale'] for s in data_samples
                  if 'density_squash_scale' in s.metainfo}
        mine = self.density.squash_scale
        bad = sorted(v for v in scales if float(v) != mine)
        if bad:
            raise ValueError(
                f'DDA: the source density maps were squashed with '
                f'squash_scale={bad[0]:g} but the GMM prior '
                f'{self.density.set_name!r} uses {mine:g}; set '
                f'LoadSourceDensityMaps(squash_scale={mine:g}) in the source '
                'pipeline (or model.density.squash_scale to the maps\' '
                'scale)')

    def _target_losses(self, heads: Dict[str, Tensor],
                       data_samples: SampleList,
                       size) -> Tuple[Dict[str, Tensor], Tensor]:
        """Weighted target losses with D frozen (§5.1 step 2).

        The density target is the GMM density of the predicted class at the
        predicted depth; it is attached to the target ``data_samples``.

        Returns:
            tuple: ``(losses, adversarial map)``; the map (with its graph)
            is the discriminator input of the generator term, which the D
            update reuses detached (the same values, computed once).
        """
        seg = self._seg
        w = self.loss_weights
        losses = OrderedDict()
        # The generator term must not update D and must not go through D's
        # DDP wrapper (no gradient to synchronise there).
        adv_map = self._adversarial_map(heads, size)
        d_out = self._unwrap(self.discriminator)(adv_map)
        losses['tgt.loss_adv'] = w['adv_tgt'] * adversarial_bce(
            d_out, SOURCE_LABEL)
        if seg.with_density_head:
            target = self.density.target_density_target(
                heads['seg_logits'].detach(), heads['depth'].detach())
            seg.density_head.set_targets(data_samples, target)
            den = seg.density_head.loss_by_feat(heads['density'],
                                                data_samples)
            losses['tgt.loss_density'] = w['density_tgt'] * sum(den.values())
        return losses, adv_map

    # ------------------------------------------------------------------
    # training / inference
    # ------------------------------------------------------------------
    def _preprocess(self, data: dict) -> tuple:
        for key in ('inputs', 'data_samples', 'target_inputs',
                    'target_data_samples'):
            if key not in data:
                raise KeyError(
                    f'DDA.train_step: the batch has no {key!r}; expected '
                    'dict(inputs, data_samples, target_inputs, '
                    'target_data_samples) from SourceTargetDataset')
        src = self.data_preprocessor(
            dict(inputs=data['inputs'], data_samples=data['data_samples']),
            True)
        tgt = self.data_preprocessor(
            dict(
                inputs=data['target_inputs'],
                data_samples=data['target_data_samples']), True)
        src['inputs'] = self._to_memory_format(src['inputs'])
        tgt['inputs'] = self._to_memory_format(tgt['inputs'])
        for sample in src['data_samples']:
            if 'gt_depth_map' in sample and any(
                    sample.metainfo.get('padding_size', (0, ))):
                # BerHu has no mask (§5.2): padded depth would be trained.
                raise ValueError(
                    'DDA.train_step: source images were padded by the data '
                    'preprocessor (padding_size='
                    f"{sample.metainfo['padding_size']}); resize them to the "
                    'preprocessor size, depth has no padding mask')
        return src, tgt

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One DDA iteration (§5.1); steps both optimisers at the end.

        Args:
            data (dict): ``inputs``, ``data_samples`` (source, with
                ``gt_sem_seg``, ``gt_depth_map``, ``gt_density_map``) and
                ``target_inputs``, ``target_data_samples``.
            optim_wrapper (OptimWrapperDict): Keys ``segmentor`` and
                ``discriminator``.

        Returns:
            dict[str, Tensor]: Detached, weighted losses
            (:data:`LOSS_KEYS`, those that apply) and their sum ``loss``.

        Raises:
            NonFiniteLossError: If a loss is NaN/inf; gradients are cleared
                and no optimiser steps.
        """
        seg_ow = optim_wrapper['segmentor']
        disc_ow = optim_wrapper['discriminator']
        src, tgt = self._preprocess(data)
        src_size = tuple(src['inputs'].shape[2:])
        tgt_size = tuple(tgt['inputs'].shape[2:])
        log_vars: Dict[str, Tensor] = OrderedDict()

        # Target losses that all weigh 0 (a source-only baseline, a
        # discriminator warm-up) give the segmentor exactly zero gradients:
        # their pass runs without a graph and without a backward (the same
        # values, BN statistics and discriminator input).
        target_trains = any(self.loss_weights[k] != 0
                            for k in ('adv_tgt', 'density_tgt'))
        disc_flags = self._set_requires_grad(self.discriminator, False)
        try:
            # (1) source pass.
            with seg_ow.optim_context(self.segmentor):
                src_heads = self._float_heads(
                    self.segmentor(src['inputs'], mode='heads'))
                losses = self._source_losses(src_heads, src['data_samples'])
            self._backward(seg_ow, sum(losses.values()),
                           last=not target_trains)
            log_vars.update(losses)
            src_heads = {
                k: v.detach() if v is not None else None
                for k, v in src_heads.items()
            }
            # (2) target pass, D frozen. Its D input is kept (detached) for
            # step (4): the same values, computed once.
            with seg_ow.optim_context(self.segmentor), \
                    torch.set_grad_enabled(target_trains):
                tgt_heads = self._float_heads(
                    self.segmentor(tgt['inputs'], mode='heads'))
                losses, tgt_map = self._target_losses(
                    tgt_heads, tgt['data_samples'], tgt_size)
            tgt_map = tgt_map.detach()
            if target_trains:
                self._backward(seg_ow, sum(losses.values()), last=True)
            log_vars.update(losses)
        finally:
            self._set_requires_grad(self.discriminator, disc_flags)
        del tgt_heads, losses  # the target graph is freed by now

        # (3)(4) discriminator on detached maps, weight 1 each, not halved.
        with disc_ow.optim_context(self.discriminator):
            loss_src = adversarial_bce(
                self.discriminator(self._adversarial_map(src_heads, src_size)),
                SOURCE_LABEL)
        self._backward(disc_ow, loss_src, last=False)
        del src_heads
        with disc_ow.optim_context(self.discriminator):
            loss_tgt = adversarial_bce(self.discriminator(tgt_map),
                                       TARGET_LABEL)
        self._backward(disc_ow, loss_tgt, last=True)
        del tgt_map
        log_vars['disc.loss_src'] = loss_src
        log_vars['disc.loss_tgt'] = loss_tgt

        log_vars = OrderedDict(
            (k, v.detach()) for k, v in log_vars.items())
        self._check_finite(log_vars, (seg_ow, disc_ow))
        for wrapper in (seg_ow, disc_ow):
            if wrapper.should_update():
                wrapper.step()
                wrapper.zero_grad()
        total = sum(log_vars.values())
        return OrderedDict([('loss', total), *log_vars.items()])

    def train_source_step(self, data: dict,
                          optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """The source part of one iteration only (§5.1 step 1).

        Source pre-training through this wrapper: segmentation, depth and
        density heads learn on the source with the weights of
        :attr:`loss_weights`; no target pass, the discriminator is
        untouched. Steps ``optim_wrapper`` (the segmentor's).

        Args:
            data (dict): ``inputs`` and ``data_samples`` as in
                :meth:`train_step` (target keys are ignored).
            optim_wrapper (OptimWrapper): The segmentor's wrapper.

        Returns:
            dict[str, Tensor]: Detached source losses and their sum.
        """
        for key in ('inputs', 'data_samples'):
            if key not in data:
                raise KeyError(f'DDA.train_source_step: the batch has no '
                               f'{key!r}')
        src = self.data_preprocessor(
            dict(inputs=data['inputs'], data_samples=data['data_samples']),
            True)
        with optim_wrapper.optim_context(self.segmentor):
            heads = self._float_heads(self.segmentor(
                self._to_memory_format(src['inputs']), mode='heads'))
            losses = self._source_losses(heads, src['data_samples'])
        log_vars = OrderedDict((k, v.detach()) for k, v in losses.items())
        self._check_finite(log_vars, (optim_wrapper, ))
        optim_wrapper.update_params(sum(losses.values()))
        return OrderedDict([('loss', sum(log_vars.values())),
                            *log_vars.items()])

    def _check_finite(self, log_vars: Dict[str, Tensor], wrappers) -> None:
        # One device sync for all losses; details only on failure.
        finite = torch.stack([v.float() for v in log_vars.values()]).isfinite()
        if bool(finite.all()):
            return
        for wrapper in wrappers:
            wrapper.zero_grad()
        bad = [(k, float(v)) for (k, v), ok in zip(log_vars.items(),
                                                    finite.tolist()) if not ok]
        it = self._current_iter()
        raise NonFiniteLossError(
            f'DDA.train_step: non-finite loss at iteration '
            f'{it if it is not None else "?"}: ' +
            ', '.join(f'{k}={v}' for k, v in bad) +
            ' (gradients cleared, no optimiser step taken)')

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor') -> Union[Tensor, SampleList, dict]:
        """Delegate ``predict``, ``tensor`` and ``heads`` to the segmentor.

        Training goes through :meth:`train_step`; ``mode='loss'`` has no
        single-loss meaning here and raises.
        """
        if mode == 'loss':
            raise RuntimeError(
                'DDA is trained by train_step (two optimisers); '
                "forward(mode='loss') is not supported. Use the segmentor's "
                'loss for supervised training.')
        return self.segmentor(
            self._to_memory_format(inputs), data_samples, mode=mode)
