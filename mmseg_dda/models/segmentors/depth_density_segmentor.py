"""DeepLab-v2 segmentor with depth and density heads (docs/method.md §2.2).

``seg = decode_head(x4)``, ``depth = depth_head(x4)``,
``density = density_head(x4)``: three branches on the layer4 features with
no feature fusion. The supervised :meth:`loss` (segmentation CE, plus depth
BerHu when depth labels are present) serves source-only training and
self-training (§8.3); the adversarial stage lives in :class:`DDA`.

Call graph::

    forward(mode='heads') -> forward_heads -> extract_feat -> 3 heads
    forward(mode='loss')  -> loss -> decode_head.loss (+ depth_head.loss)
    forward(mode='predict') -> predict -> forward_heads
        -> one bilinear upsampling of the feature-grid logits to ori_shape
"""
from typing import Dict, List, Optional

import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList, add_prefix)
from torch import Tensor

from ...checkpoint.fitting import register_checked_loading
from ..mmseg_api import MMSegAPIMixin

# Top-level keys of a DDA state dict that are not part of the segmentor.
_DDA_ONLY_PREFIXES = ('discriminator.', 'density.', 'data_preprocessor.')


@MODELS.register_module()
class DepthDensitySegmentor(MMSegAPIMixin, EncoderDecoder):
    """Encoder-decoder with segmentation, inverse-depth and density heads.

    Args:
        backbone (dict): Backbone config (``DeepLabV2ResNet``, or any MMSeg
            backbone, e.g. ``MixVisionTransformer``, ``ResNetV1c``).
        decode_head (dict): Segmentation head (``DeepLabV2Head``,
            ``SegformerHead``...). Its output grid is the feature grid; the
            depth and density heads must predict on the same one (select
            the backbone outputs with their ``in_index`` /
            ``input_transform``).
        depth_head (dict, optional): ``DepthHead`` config.
        density_head (dict, optional): ``DensityHead`` config.
        neck (dict, optional): Not used by DDA; kept for compatibility.
        train_cfg (dict, optional): Passed to the heads' ``loss``.
        test_cfg (dict, optional): Defaults to ``dict(mode='whole')``.
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config
            when the segmentor is trained on its own (source-only,
            self-training). Inside :class:`DDA` the wrapper's is used.
        init_cfg (dict, optional): Initialisation config.
        pretrained (str, optional): As :class:`EncoderDecoder` (set to None
            by ``mmseg.apis.init_model``); prefer the backbone's
            ``init_cfg``.

    MMSeg's inference API (``init_model``, ``inference_model``,
    ``MMSegInferencer``) works on this model: see
    :class:`~mmseg_dda.models.mmseg_api.MMSegAPIMixin`.

    A state dict written by :class:`DDA` (``segmentor.*``,
    ``discriminator.*``, ``density.*`` keys) loads directly: the
    ``segmentor.`` prefix is stripped and the other parts are dropped, so
    ``load_from`` can start self-training from a stage-1 checkpoint.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 depth_head: OptConfigType = None,
                 density_head: OptConfigType = None,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 pretrained: Optional[str] = None) -> None:
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=None,
            train_cfg=train_cfg,
            test_cfg=test_cfg if test_cfg is not None else dict(
                mode='whole'),
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self.depth_head = MODELS.build(depth_head) if depth_head else None
        self.density_head = MODELS.build(
            density_head) if density_head else None
        # Loading a state dict that leaves tensors unset is refused, by
        # whoever loads (MMSeg's init_model included).
        register_checked_loading(self)

    @property
    def with_depth_head(self) -> bool:
        """bool: Whether the segmentor has a depth head."""
        return self.depth_head is not None

    @property
    def with_density_head(self) -> bool:
        """bool: Whether the segmentor has a density head."""
        return self.density_head is not None

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor'):
        """Dispatch like :class:`BaseSegmentor`, plus ``mode='heads'``.

        ``mode='heads'`` returns :meth:`forward_heads`. :class:`DDA` uses it
        so that a DDP-wrapped segmentor is called through its ``forward``.
        """
        if mode == 'heads':
            return self.forward_heads(inputs)
        return super().forward(inputs, data_samples, mode)

    def forward_heads(self, inputs: Tensor) -> Dict[str, Optional[Tensor]]:
        """Run the backbone and every head at the feature grid.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).

        Returns:
            dict: ``seg_logits`` (N, C, h, w), ``depth`` (N, 1, h, w) and
            ``density`` (N, 1, h, w); absent heads give None.
        """
        x = self.extract_feat(inputs)
        return dict(
            seg_logits=self.decode_head.forward(x),
            depth=self.depth_head.forward(x) if self.with_depth_head else None,
            density=self.density_head.forward(x)
            if self.with_density_head else None)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Supervised loss: segmentation CE (+ depth BerHu).

        The depth term is added when the segmentor has a depth head and every
        sample carries ``gt_depth_map`` (SYNTHIA source); self-training on
        target pseudo-labels therefore trains segmentation only (§8.3).

        Returns:
            dict[str, Tensor]: ``decode.loss_ce``, ``decode.acc_seg`` and, if
            applicable, ``depth.<loss_name>``.
        """
        x = self.extract_feat(inputs)
        losses = self._decode_head_forward_train(x, data_samples)
        if self.with_depth_head and data_samples and all(
                'gt_depth_map' in sample for sample in data_samples):
            loss_depth = self.depth_head.loss(x, data_samples, self.train_cfg)
            losses.update(add_prefix(loss_depth, 'depth'))
        return losses

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict segmentation, depth and density.

        The feature-grid logits are upsampled **once**, bilinear with
        ``align_corners``, straight to ``ori_shape`` (§9), not via
        the input size. Only when the batch was padded is the padded input
        size used as an intermediate step (to crop the padding).

        Returns:
            list[SegDataSample]: with ``seg_logits`` (C, H0, W0),
            ``pred_sem_seg`` (1, H0, W0) at ``ori_shape``, and, for
            visualisation, ``pred_depth_map`` / ``pred_density_map``
            (1, H, W) at the input size.
        """
        heads = self.forward_heads(inputs)
        seg_logits = heads['seg_logits']
        input_size = tuple(inputs.shape[2:])
        if data_samples is None:
            data_samples = []
            for _ in range(inputs.shape[0]):
                sample = SegDataSample()
                sample.set_metainfo(
                    dict(ori_shape=input_size, img_shape=input_size,
                         pad_shape=input_size))
                data_samples.append(sample)

        depth = self._upsample(heads['depth'], input_size)
        density = self._upsample(heads['density'], input_size)
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            logits = self._logits_to_ori_shape(seg_logits[i:i + 1], meta,
                                               input_size)
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=logits),
                    pred_sem_seg=PixelData(
                        data=logits.argmax(dim=0, keepdim=True))))
            if depth is not None:
                sample.set_data(dict(pred_depth_map=PixelData(data=depth[i])))
            if density is not None:
                sample.set_data(
                    dict(pred_density_map=PixelData(data=density[i])))
        return data_samples

    def _upsample(self, x: Optional[Tensor], size) -> Optional[Tensor]:
        if x is None:
            return None
        return F.interpolate(
            x, size=size, mode='bilinear', align_corners=self.align_corners)

    def _logits_to_ori_shape(self, logits: Tensor, meta: dict,
                             input_size) -> Tensor:
        """Resize (1, C, h, w) feature-grid logits to (C, *ori_shape)."""
        ori_shape = tuple(meta.get('ori_shape', input_size))[:2]
        padding = meta.get('img_padding_size', meta.get('padding_size'))
        if padding is not None and any(padding):
            # Padding is defined at the input size: go there, crop, resize.
            left, right, top, bottom = padding
            logits = self._upsample(logits, input_size)
            logits = logits[:, :, top:input_size[0] - bottom,
                            left:input_size[1] - right]
        logits = self._upsample(logits, ori_shape)
        if meta.get('flip', False):
            # Bilinear resizing with align_corners commutes with flipping.
            direction = meta.get('flip_direction', 'horizontal')
            logits = logits.flip(dims=(3, ) if direction ==
                                 'horizontal' else (2, ))
        return logits.squeeze(0)

    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              local_metadata, strict: bool,
                              missing_keys: List[str],
                              unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        """Accept a DDA state dict: strip ``segmentor.``, drop the rest.

        Runs before the children are loaded (both torch's and MMEngine's
        loaders filter the children's keys from the same dict afterwards).
        """
        dda_prefix = prefix + 'segmentor.'
        if any(key.startswith(dda_prefix) for key in state_dict):
            metadata = getattr(state_dict, '_metadata', None)
            for key in list(state_dict.keys()):
                if not key.startswith(prefix):
                    continue
                rest = key[len(prefix):]
                if rest.startswith('segmentor.'):
                    state_dict[prefix + rest[len('segmentor.'):]] = \
                        state_dict.pop(key)
                elif rest.startswith(_DDA_ONLY_PREFIXES):
                    state_dict.pop(key)
            if metadata is not None:
                # Module versions (e.g. BN's) are looked up by prefix.
                for key in list(metadata.keys()):
                    if key.startswith(dda_prefix):
                        metadata.setdefault(
                            prefix + key[len(dda_prefix):], metadata[key])
        self._check_shapes(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _check_shapes(self, state_dict: dict, prefix: str) -> None:
        """Refuse tensors whose shapes differ from this model's.

        MMEngine's ``load_checkpoint`` (``load_from``, ``tools/test.py``) only
        warns about size mismatches and keeps the random initialisation,
        e.g. of a 7-class head given a 16-class checkpoint.
        """
        own = self.state_dict(prefix=prefix, keep_vars=True)
        bad = [(key, tuple(value.shape), tuple(own[key].shape))
               for key, value in state_dict.items()
               if key in own and hasattr(value, 'shape')
               and tuple(value.shape) != tuple(own[key].shape)]
        if bad:
            key, got, want = bad[0]
            raise ValueError(
                f'{type(self).__name__}: the checkpoint does not fit the '
                f'model ({self.num_classes} classes): {len(bad)} tensors '
                f'have other shapes, e.g. {key}: checkpoint {got} vs model '
                f'{want}. Check num_classes and the network widths of the '
                'config; loading would keep random weights for them.')

