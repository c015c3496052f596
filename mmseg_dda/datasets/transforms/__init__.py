"""Data transforms of mmseg_dda (registered in mmseg ``TRANSFORMS``)."""
from .density import ComputeSourceDensityMaps, feature_grid_size
from .formatting import PackDDAInputs
from .inference import (InferenceResizeWithPad, inference_pipeline,
                        to_inference_config)
from .loading import (LoadInverseDepth, LoadMappedAnnotations,
                      LoadSourceDensityMaps, map_label, read_label_image)
from .resize import ResizeWithPad, aspect_pad_size, fit_size

__all__ = [
    'LoadMappedAnnotations', 'LoadInverseDepth', 'LoadSourceDensityMaps',
    'ComputeSourceDensityMaps', 'ResizeWithPad', 'PackDDAInputs',
    'feature_grid_size', 'map_label', 'read_label_image', 'fit_size',
    'aspect_pad_size', 'InferenceResizeWithPad', 'inference_pipeline',
    'to_inference_config'
]
