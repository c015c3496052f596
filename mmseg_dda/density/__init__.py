"""Depth-distribution density: GMM priors, density targets, the grid.

The files (density maps, SYNTHIA depth) are read and written by
:mod:`mmseg_dda.datasets.formats`.
"""
from .gmm import (GMMDensity, GMMParams, gmm_pdf, load_gmm_params,
                  squash_density)
from .grid import feature_grid_size
from .resize import pil_nearest_indices, pil_nearest_resize

__all__ = [
    'GMMDensity', 'GMMParams', 'gmm_pdf', 'load_gmm_params', 'squash_density',
    'pil_nearest_indices', 'pil_nearest_resize', 'feature_grid_size'
]
