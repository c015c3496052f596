"""Depth-distribution density: GMM priors, density targets, map I/O."""
from .gmm import (GMMDensity, GMMParams, gmm_pdf, load_gmm_params,
                  squash_density)
from ..datasets.formats.density_maps import (decode_synthia_depth,
                                             load_density_maps,
                                             load_synthia_inverse_depth,
                                             save_density_maps)
from .grid import feature_grid_size
from .resize import pil_nearest_indices, pil_nearest_resize

__all__ = [
    'GMMDensity', 'GMMParams', 'gmm_pdf', 'load_gmm_params', 'squash_density',
    'load_density_maps', 'save_density_maps', 'pil_nearest_indices',
    'pil_nearest_resize', 'feature_grid_size', 'decode_synthia_depth',
    'load_synthia_inverse_depth'
]
