"""Inference on images with a trained model (see ``tools/infer.py``).

``mmseg.apis.init_model`` / ``inference_model`` / ``MMSegInferencer`` work
on every config of this project as they are; this package adds checked
loading, input expansion, batching and the output writers of the CLI.
"""
from .inference import (IMAGE_EXTENSIONS, infer_images, init_dda_model,
                        list_images, maps_at_original_size)

__all__ = [
    'IMAGE_EXTENSIONS', 'infer_images', 'init_dda_model', 'list_images',
    'maps_at_original_size'
]
