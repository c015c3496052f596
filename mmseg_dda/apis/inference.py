"""Run a trained model on images: model loading, input listing, batching.

MMSeg's own API works on every config of this project::

    from mmseg.apis import init_model, inference_model
    model = init_model(CONFIG, CHECKPOINT, device='cpu')
    sample = inference_model(model, 'image.png')

The returned :class:`SegDataSample` holds ``pred_sem_seg`` (1, H0, W0)
class indices and ``seg_logits`` (C, H0, W0) at the native image size, and
``pred_depth_map`` / ``pred_density_map`` (1, H, W), the predicted inverse
depth and density at the network input size (see
:meth:`DepthDensitySegmentor.predict`); :func:`maps_at_original_size`
brings them to the native size. This module adds what a command-line tool
needs on top: clear errors for missing files, folder and glob expansion, and
batched inference over many images with the pipeline built once.
"""
import glob
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import Compose, pseudo_collate

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff',
                    '.webp')


def init_dda_model(config: str,
                   checkpoint: str,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None):
    """``mmseg.apis.init_model`` with checked paths and checked loading.

    Args:
        config: Config file of any model of this project (stage-1 DDA,
            self-training, source-only, demo).
        checkpoint: Checkpoint written by ``tools/train.py`` or converted by
            ``tools/convert_reference_checkpoint.py``.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        cfg_options: Overrides merged into the config.

    Returns:
        The model in eval mode on ``device``, with ``cfg`` (inference
        pipelines) and ``dataset_meta`` set. A checkpoint without class
        names (converted reference files) gets the 16/7-class names silently
        (MMSeg's warnings about its guess are not shown).

    Raises:
        FileNotFoundError: If the config or the checkpoint does not exist.
        IncompleteCheckpointError: If the checkpoint leaves a tensor of the
            model unloaded (a DDA model's discriminator may be absent).
    """
    import mmseg_dda  # noqa: F401  (registration)
    from mmseg.apis import init_model

    from ..checkpoint import load_model_checkpoint
    from ..utils.runtime import read_config
    if not osp.isfile(str(config)):
        raise FileNotFoundError(f'config file not found: {config}')
    if not osp.isfile(str(checkpoint)):
        raise FileNotFoundError(
            f'checkpoint not found: {checkpoint} (a .pth file written by '
            'tools/train.py or tools/convert_reference_checkpoint.py)')
    # As mmseg.apis.init_model(config, checkpoint), whose class-name guess
    # for checkpoints without names warns twice (the guess is replaced by
    # MMSegAPIMixin.dataset_meta anyway).
    model = init_model(read_config(str(config), cfg_options), None,
                       device='cpu')
    ckpt = load_model_checkpoint(model, str(checkpoint))
    model.dataset_meta = (ckpt.get('meta') or {}).get('dataset_meta')
    return model.to(device).eval()


def list_images(inputs: Sequence[str]) -> List[str]:
    """Expand files, folders (sorted, not recursive) and glob patterns.

    Args:
        inputs: Image files, folders or glob patterns (``'dir/*.png'``,
            ``'dir/**/*.jpg'``).

    Returns:
        list[str]: Image paths, in the given order, duplicates removed.

    Raises:
        FileNotFoundError: If a path does not exist, a folder holds no image
            or a pattern matches no image.
    """
    found: List[str] = []
    for item in inputs:
        item = str(item)
        if osp.isdir(item):
            names = sorted(n for n in os.listdir(item)
                           if n.lower().endswith(IMAGE_EXTENSIONS))
            if not names:
                raise FileNotFoundError(
                    f'input folder {item} holds no image (expected files '
                    f'ending in {", ".join(IMAGE_EXTENSIONS)}; sub-folders '
                    f"are not searched, use a pattern such as '{item}/**/*"
                    ".png')")
            found += [osp.join(item, n) for n in names]
        elif osp.isfile(item):
            found.append(item)
        elif glob.has_magic(item):
            matches = sorted(
                p for p in glob.glob(item, recursive=True)
                if osp.isfile(p) and p.lower().endswith(IMAGE_EXTENSIONS))
            if not matches:
                raise FileNotFoundError(
                    f'input pattern {item} matches no image')
            found += matches
        else:
            raise FileNotFoundError(f'input not found: {item}')
    return list(dict.fromkeys(found))


def infer_images(model, images: Sequence, batch_size: int = 1
                 ) -> Iterator[Tuple[object, object]]:
    """Predict images in batches with the model's inference pipeline.

    Every image is resized as the config's test pipeline does (a batch
    stacks the resized inputs, so images of any sizes can share a batch).

    Args:
        model: A model from :func:`init_dda_model` or
            ``mmseg.apis.init_model``.
        images: Image paths or BGR ``np.ndarray`` images.
        batch_size: Images per forward pass.

    Yields:
        tuple: ``(image, SegDataSample)`` in input order.

    Raises:
        OSError: If an image cannot be read (names the file).
        ValueError: If ``batch_size`` < 1.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    cfg = model.cfg
    pipelines = {}

    def pipeline_for(kind: str) -> Compose:
        if kind not in pipelines:
            steps = [dict(t) for t in cfg.test_pipeline]
            if kind == 'array':
                steps[0]['type'] = 'LoadImageFromNDArray'
            pipelines[kind] = Compose(steps)
        return pipelines[kind]

    def load(image) -> dict:
        if isinstance(image, np.ndarray):
            return pipeline_for('array')(dict(img=image))
        try:
            return pipeline_for('file')(dict(img_path=str(image)))
        except Exception as err:  # decoder errors vary by backend
            raise OSError(f'cannot read image {image}: {err}') from err

    for start in range(0, len(images), batch_size):
        chunk = list(images[start:start + batch_size])
        data = pseudo_collate([load(image) for image in chunk])
        with torch.no_grad():
            samples = model.test_step(data)
        yield from zip(chunk, samples)


def _restore(x: torch.Tensor, meta: dict) -> torch.Tensor:
    """(1, H, W) map at the input size -> (H0, W0) at ``ori_shape``."""
    h, w = x.shape[-2:]
    left, right, top, bottom = meta.get('img_padding_size', (0, 0, 0, 0))
    x = x[None, :, top:h - bottom, left:w - right].float()
    x = F.interpolate(x, size=tuple(meta['ori_shape'][:2]), mode='bilinear',
                      align_corners=True)
    return x[0, 0]


def maps_at_original_size(sample) -> Dict[str, Optional[np.ndarray]]:
    """The predictions of one sample as arrays at ``ori_shape``.

    With the inference pipeline ``ori_shape`` is the native image size.
    Depth and density are cropped to the image content (Mapillary-style
    padded inputs) and resized bilinearly with ``align_corners=True``, as
    :meth:`DepthDensitySegmentor.predict` resizes the segmentation logits.

    Args:
        sample (SegDataSample): One result of ``inference_model`` /
            :func:`infer_images`.

    Returns:
        dict: ``label`` (uint8 (H0, W0) class indices), ``depth`` and
        ``density`` (float32 (H0, W0), None without the head).
    """
    meta = sample.metainfo
    label = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
    out = dict(label=label, depth=None, density=None)
    for key, field in (('depth', 'pred_depth_map'),
                       ('density', 'pred_density_map')):
        if field in sample:
            out[key] = _restore(sample.get(field).data.cpu(),
                                meta).numpy().astype(np.float32)
    return out
