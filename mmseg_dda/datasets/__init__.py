"""Datasets, label mappings and transforms of mmseg_dda."""
from . import class_mappings  # noqa: F401
from .cityscapes import CityscapesUDADataset
from .mapillary import MapillaryUDADataset
from .source_target import SourceTargetDataset
from .synthia import SynthiaDataset
from .transforms import (ComputeSourceDensityMaps, LoadInverseDepth,
                         LoadMappedAnnotations, LoadSourceDensityMaps,
                         PackDDAInputs, ResizeWithPad, feature_grid_size)

__all__ = [
    'SynthiaDataset', 'CityscapesUDADataset', 'MapillaryUDADataset',
    'SourceTargetDataset', 'LoadMappedAnnotations', 'LoadInverseDepth',
    'LoadSourceDensityMaps', 'ComputeSourceDensityMaps', 'ResizeWithPad',
    'PackDDAInputs', 'feature_grid_size'
]
