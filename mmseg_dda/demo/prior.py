"""The demo's GMM prior, fitted on the demo source (docs/demo.md "Data").

The same fit as ``tools/fit_gmm.py`` (:mod:`mmseg_dda.density.fitting`) on
the in-memory source images: per class, K diagonal Gaussians over (column,
row, inverse depth) of the feature grid, with a variance floor in the data's
units and the squash scale of the grid (docs/method.md §3.3).
"""
from typing import Dict, Sequence

import numpy as np
import torch

from ..datasets.class_mappings import CLASSES_7
from ..density.fitting import fit_class_gmms, grid_points
from ..density.gmm import GMMParams, grid_squash_scale
from ..density.grid import feature_grid_size
from .data import NUM_CLASSES

#: Variance floor (x, y, z) of the demo's fit: a quarter grid cell squared
#: in x and y, one inverse-depth unit squared in z.
DEMO_VAR_FLOOR = (0.25, 0.25, 1.0)


def fit_demo_prior(source: Dict[str, np.ndarray], components: int = 5,
                   var_floor: Sequence[float] = DEMO_VAR_FLOOR,
                   seed: int = 0) -> GMMParams:
    """Fit the per-class prior on ``source`` (``label``, ``depth`` arrays)."""
    grid = feature_grid_size(source['label'].shape[1:3])
    points = [[] for _ in range(NUM_CLASSES)]
    for lab, dep in zip(source['label'], source['depth']):
        for c, pts in enumerate(grid_points(lab, dep, grid, NUM_CLASSES)):
            points[c].append(pts)
    points = [np.concatenate(p) for p in points]
    fitted = fit_class_gmms(points, components, seed=seed,
                            class_names=CLASSES_7, var_floor=var_floor)
    return GMMParams(
        mu=torch.tensor(fitted['mu'], dtype=torch.float32),
        var=torch.tensor(fitted['var'], dtype=torch.float32),
        pi=torch.tensor(fitted['pi'], dtype=torch.float32),
        class_names=list(CLASSES_7), grid_hw=grid, name='demo',
        squash_scale=grid_squash_scale(grid))
