"""Depth-distribution density: GMM priors, density targets, map I/O."""
from .gmm import (GMMDensity, GMMParams, gmm_pdf, load_gmm_params,
                  squash_density)
from .io import load_density_maps, save_density_maps
from .resize import pil_nearest_indices, pil_nearest_resize

__all__ = [
    'GMMDensity', 'GMMParams', 'gmm_pdf', 'load_gmm_params', 'squash_density',
    'load_density_maps', 'save_density_maps', 'pil_nearest_indices',
    'pil_nearest_resize'
]
