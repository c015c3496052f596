"""Everything about checkpoint files (one home).

* :mod:`.loading` -- :func:`read_checkpoint`, the one reader of every tool
  and of the runner (``weights_only=True``, one-line errors for corrupt,
  truncated, empty and non-checkpoint files), :func:`load_model_checkpoint`;
* :mod:`.fitting` -- :func:`fit_state_dict`: a checkpoint must fill the whole
  model (either of the project's layouts), and the pre-hook that makes the
  project's models refuse gaps whoever loads them;
* :mod:`.saving` -- crash-safe writing (temporary file, then rename);
* :mod:`.lookup` -- the checkpoint ``--resume`` continues from;
* :mod:`.plain_state` -- training checkpoints of tensors and plain values;
* :mod:`.reference` -- conversion of the reference DDA checkpoints
  (docs/method.md §11).
"""
from .fitting import (IncompleteCheckpointError, fit_state_dict,
                      register_checked_loading)
from .loading import (CheckpointFileError, checkpoint_hint,
                      checkpoint_state_dict, load_model_checkpoint,
                      read_checkpoint, revise_keys)
from .lookup import find_latest_checkpoint
from .reference import (ConversionReport, convert_discriminator_state_dict,
                        convert_imagenet_state_dict, convert_segnet_state_dict,
                        load_reference_state_dict, reference_backbone_layout,
                        reference_discriminator_layout,
                        reference_segnet_layout)
from .saving import atomic_write_text, save_checkpoint_atomic

__all__ = [
    'CheckpointFileError', 'ConversionReport', 'IncompleteCheckpointError',
    'atomic_write_text', 'checkpoint_hint', 'checkpoint_state_dict',
    'convert_discriminator_state_dict', 'convert_imagenet_state_dict',
    'convert_segnet_state_dict', 'find_latest_checkpoint', 'fit_state_dict',
    'load_model_checkpoint', 'load_reference_state_dict', 'read_checkpoint',
    'reference_backbone_layout', 'reference_discriminator_layout',
    'reference_segnet_layout', 'register_checked_loading', 'revise_keys',
    'save_checkpoint_atomic'
]
