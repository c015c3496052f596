"""Inference on bare images: the test pipeline without annotations.

The test pipelines of the configs load labels (``LoadMappedAnnotations``)
and set ``ori_shape`` to the shape of the evaluation label. On a bare image
there is no label, and the prediction should come back at the image's own
size. :func:`inference_pipeline` derives that pipeline from a test pipeline:

* annotation loaders are dropped (labels, depth, density maps);
* ``ResizeWithPad`` becomes :class:`InferenceResizeWithPad` (same resize),
  which records the native image size as ``ori_shape`` and the top-left
  padding as ``img_padding_size``, so that ``DepthDensitySegmentor.predict``
  crops the padding and returns the segmentation at the native size;
* the packing transform also keeps ``img_padding_size``.

:func:`to_inference_config` applies it in place to ``test_pipeline`` and
``test_dataloader.dataset.pipeline``: the two pipelines read by
``mmseg.apis.inference_model`` and ``mmseg.apis.MMSegInferencer``.
"""
import copy
from typing import List

from mmseg.registry import TRANSFORMS

from .resize import ResizeWithPad

#: Transforms that read annotation files; there are none at inference.
ANNOTATION_LOADERS = ('LoadMappedAnnotations', 'LoadAnnotations',
                      'LoadInverseDepth', 'LoadDepthAnnotation',
                      'LoadSourceDensityMaps', 'ComputeSourceDensityMaps')
_PACKERS = ('PackDDAInputs', 'PackSegInputs')
_DEFAULT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                      'pad_shape', 'resized_shape', 'scale_factor', 'flip',
                      'flip_direction', 'reduce_zero_label', 'num_classes')


@TRANSFORMS.register_module()
class InferenceResizeWithPad(ResizeWithPad):
    """:class:`ResizeWithPad` for images without labels.

    Resizes the image exactly like :class:`ResizeWithPad`, then sets
    ``ori_shape`` to the native image size and ``img_padding_size`` to the
    ``[left, right, top, bottom]`` padding at the input size (the content
    sits top-left), so that the prediction is cropped to the content and
    resized to the native size.
    """

    def __init__(self, scale, keep_ratio: bool = True, **kwargs) -> None:
        # Label options have no meaning here; accept and ignore them so the
        # arguments of the test pipeline's ResizeWithPad can be reused.
        kwargs.pop('scale_label', None)
        super().__init__(scale=scale, keep_ratio=keep_ratio, **kwargs)

    def transform(self, results: dict) -> dict:
        native = tuple(results['img'].shape[:2])
        results = super().transform(results)
        th, tw = results['img_shape']
        nh, nw = results['resized_shape']
        results['ori_shape'] = native
        results['img_padding_size'] = [0, tw - nw, 0, th - nh]
        return results


def inference_pipeline(pipeline: List[dict]) -> List[dict]:
    """The inference version of a test pipeline (a new list).

    Idempotent: converting a converted pipeline changes nothing.

    Args:
        pipeline: Transform configs of a test pipeline.

    Returns:
        list[dict]: The pipeline without annotation loaders, with
        :class:`InferenceResizeWithPad` and ``img_padding_size`` packed.

    Raises:
        ValueError: If the pipeline does not start by loading an image.
    """
    out = []
    for transform in pipeline:
        transform = copy.deepcopy(dict(transform))
        kind = transform.get('type')
        if kind in ANNOTATION_LOADERS:
            continue
        if kind == 'ResizeWithPad':
            transform['type'] = 'InferenceResizeWithPad'
            transform.pop('scale_label', None)
        elif kind in _PACKERS:
            keys = tuple(transform.get('meta_keys', _DEFAULT_META_KEYS))
            if 'img_padding_size' not in keys:
                transform['meta_keys'] = keys + ('img_padding_size', )
        out.append(transform)
    if not out or 'Load' not in str(out[0].get('type')):
        raise ValueError(
            'inference_pipeline: the test pipeline must start with an image '
            f'loader (LoadImageFromFile), got {[t.get("type") for t in out]}')
    return out


def to_inference_config(cfg):
    """Switch the test pipelines of ``cfg`` to inference, in place.

    ``cfg.test_pipeline`` and ``cfg.test_dataloader.dataset.pipeline`` (where
    present) become :func:`inference_pipeline` of themselves.

    Args:
        cfg (Config | ConfigDict | None): A model config.

    Returns:
        The same ``cfg``.
    """
    if cfg is None:
        return cfg
    if cfg.get('test_pipeline') is not None:
        cfg.test_pipeline = inference_pipeline(cfg.test_pipeline)
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    if dataset.get('pipeline') is not None:
        dataset['pipeline'] = inference_pipeline(dataset['pipeline'])
    return cfg
