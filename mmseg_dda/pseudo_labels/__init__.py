"""Pseudo-label generation for self-training (docs/method.md §8.1, §8.2)."""
from .generate import DEFAULT_THRESHOLD, check_threshold, make_pseudo_label
from .label_io import (PSEUDO_LABEL_FORMATS, is_complete,
                       is_pseudo_label_output, load_pseudo_label,
                       pseudo_label_path, save_pseudo_label)
from .spatial_prior import filter_small_components
from .stats import PseudoLabelStats

__all__ = [
    'filter_small_components', 'make_pseudo_label', 'DEFAULT_THRESHOLD',
    'pseudo_label_path', 'save_pseudo_label', 'load_pseudo_label',
    'is_complete', 'is_pseudo_label_output', 'PSEUDO_LABEL_FORMATS',
    'PseudoLabelStats', 'check_threshold'
]
