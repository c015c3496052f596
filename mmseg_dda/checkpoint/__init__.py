"""Reference checkpoint conversion (docs/method.md §11)."""
from .reference import (ConversionReport, convert_discriminator_state_dict,
                        convert_imagenet_state_dict, convert_segnet_state_dict,
                        load_reference_state_dict, reference_backbone_layout,
                        reference_discriminator_layout,
                        reference_segnet_layout, save_checkpoint_atomic)

__all__ = [
    'ConversionReport', 'convert_discriminator_state_dict',
    'convert_imagenet_state_dict', 'convert_segnet_state_dict',
    'load_reference_state_dict', 'reference_backbone_layout',
    'reference_discriminator_layout', 'reference_segnet_layout',
    'save_checkpoint_atomic'
]
