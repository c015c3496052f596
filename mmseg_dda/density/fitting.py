"""Fitting per-class GMM priors on the source set (``tools/fit_gmm.py``).

The reference has only the fitted values (docs/method.md §3.1; "GMM parameters
can be calculated by gmm-torch"); its fitting data and settings are unknown.
This module fits the same model family -- per class, K diagonal Gaussians over
``(column, row, inverse depth)`` points of the feature grid -- with
scikit-learn, on the grid points of §3.4: the GT label and inverse depth
downsampled with PIL NEAREST, cells of the class only. ``reg_covar=1e-6``
mirrors the variance floor of the reference sets; ``var_floor`` sets a floor
in the data's units (docs/method.md §3.3), e.g. a quarter cell in x and y
and one inverse-depth unit in z, so that a class whose points share one
value (the sky's inverse depth 1.0) does not get a density that is zero
unless a predicted depth is exact.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..datasets.formats.synthia import load_source_label_depth
from ..utils.atomic_io import atomic_write_json
from .resize import pil_nearest_indices


def grid_points(label: np.ndarray, inv_depth: np.ndarray,
                grid_hw: Tuple[int, int],
                num_classes: int) -> List[np.ndarray]:
    """Per-class ``(n_c, 3)`` float32 points ``(x=col, y=row, z)`` of a grid.

    Args:
        label (np.ndarray): ``(H, W)`` train ids.
        inv_depth (np.ndarray): ``(H, W)`` inverse depth.
        grid_hw (tuple[int, int]): Feature grid ``(h, w)``.
        num_classes (int): C.
    """
    rows = pil_nearest_indices(label.shape[0], grid_hw[0])
    cols = pil_nearest_indices(label.shape[1], grid_hw[1])
    lab = label[np.ix_(rows, cols)]
    dep = inv_depth[np.ix_(rows, cols)].astype(np.float32)
    out = []
    for c in range(num_classes):  # C is small; cells are vectorised
        ys, xs = np.nonzero(lab == c)
        out.append(
            np.stack([xs, ys, dep[ys, xs]], 1).astype(np.float32, copy=False))
    return out


class BottomKSampler:
    """Uniform sample without replacement of a stream (bottom-k random keys).

    Every point added gets a random key; the ``k`` points with the smallest
    keys are kept, so memory stays at ``O(k)`` however long the stream.

    Args:
        k (int): Sample size.
        rng (np.random.Generator): Source of the keys.
    """

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        self.k, self.rng = k, rng
        self.points = np.zeros((0, 3), np.float32)
        self.keys = np.zeros(0)
        self.seen = 0

    def add(self, pts: np.ndarray) -> None:
        self.seen += len(pts)
        self.points = np.concatenate([self.points, pts])
        self.keys = np.concatenate([self.keys, self.rng.random(len(pts))])
        if len(self.keys) > 2 * self.k:
            self._shrink()

    def _shrink(self) -> None:
        if len(self.keys) > self.k:
            keep = np.argpartition(self.keys, self.k - 1)[:self.k]
            keep.sort()
            self.points, self.keys = self.points[keep], self.keys[keep]

    def result(self) -> np.ndarray:
        self._shrink()
        return self.points


def collect_points(items: Sequence[Dict], grid_hw: Tuple[int, int],
                   num_classes: int, samples_per_class: int,
                   seed: int) -> Tuple[List[np.ndarray], List[int]]:
    """Sample up to ``samples_per_class`` grid points per class.

    Returns:
        tuple: ``(points per class, number of candidate points per class)``.
    """
    rng = np.random.default_rng(seed)
    samplers = [BottomKSampler(samples_per_class, rng)
                for _ in range(num_classes)]
    for item in items:
        label, depth = load_source_label_depth(item)
        for c, pts in enumerate(
                grid_points(label, depth, grid_hw, num_classes)):
            samplers[c].add(pts)
    return [s.result() for s in samplers], [s.seen for s in samplers]


def fit_class_gmms(points: Sequence[np.ndarray],
                   n_components: int = 5,
                   reg_covar: float = 1e-6,
                   seed: int = 0,
                   class_names: Optional[Sequence[str]] = None,
                   max_iter: int = 200,
                   var_floor: Optional[Sequence[float]] = None
                   ) -> Dict[str, list]:
    """Fit one diagonal GMM per class.

    Args:
        points: Per class ``(n_c, 3)`` points ``(x, y, z)``.
        n_components: K.
        reg_covar: scikit-learn's variance regulariser (1e-6: the floor of
            the reference sets).
        seed: Seed of the fit.
        class_names: Names for error messages.
        max_iter: EM iterations.
        var_floor: Optional floor ``(x, y, z)`` of the fitted variances in
            the data's units (grid cells squared, inverse depth squared),
            applied after the fit. Default: none (the reference's).

    Returns:
        dict: ``mu`` ``[C][K][3]``, ``var`` ``[C][K][3]``, ``pi`` ``[C][K]``
        as plain lists.
    """
    from sklearn.mixture import GaussianMixture
    too_few = [(class_names[c] if class_names else c, len(p))
               for c, p in enumerate(points) if len(p) < n_components]
    if too_few:
        raise ValueError(
            f'cannot fit {n_components} components: too few grid points for '
            f'classes {too_few}; use more images (--num-images)')
    floor = None
    if var_floor is not None:
        floor = np.asarray(var_floor, np.float64)
        if floor.shape != (3, ) or not np.isfinite(floor).all() or (
                floor < 0).any():
            raise ValueError('var_floor must be three finite numbers >= 0 '
                             f'(x, y, z), got {var_floor!r}')
    mu, var, pi = [], [], []
    for pts in points:
        gmm = GaussianMixture(
            n_components=n_components, covariance_type='diag',
            reg_covar=reg_covar, random_state=seed, max_iter=max_iter)
        gmm.fit(pts.astype(np.float64))
        mu.append(gmm.means_.tolist())
        cov = gmm.covariances_
        var.append((cov if floor is None else np.maximum(cov, floor)).tolist())
        pi.append(gmm.weights_.tolist())
    return dict(mu=mu, var=var, pi=pi)


def gmm_json(set_name: str, fitted: Dict[str, list],
             grid_hw: Tuple[int, int], class_names: Optional[Sequence[str]],
             provenance: Dict, squash_scale: Optional[float] = None) -> Dict:
    """The fitted set in the format of the reference ``gmm_params.json``.

    ``squash_scale`` (if given) is stored in the set as ``squash_scale``;
    :class:`~mmseg_dda.density.gmm.GMMDensity` uses it (docs/method.md
    §3.3).
    """
    if squash_scale is not None:
        fitted = dict(fitted, squash_scale=float(squash_scale))
    squash = 1e6 if squash_scale is None else float(squash_scale)
    num_classes = len(fitted['mu'])
    k = len(fitted['mu'][0])
    return {
        '_meta': {
            'description': 'Per-class GMM priors fitted by tools/fit_gmm.py '
            '(scikit-learn GaussianMixture, diagonal covariance).',
            'source': provenance,
            'layout': {
                'mu': 'mu[c][k] = [mu_x, mu_y, mu_z], shape [C][K][3]',
                'var': 'var[c][k] = [var_x, var_y, var_z] (diagonal '
                'variances; sigma = sqrt(var)), shape [C][K][3]',
                'pi': 'pi[c][k] = mixture weight of component k, shape [C][K]'
            },
            'K': k,
            'n_features': 3,
            'covariance_type': 'diag',
            'coordinates': {
                'x': 'column index (0-based) on the feature grid',
                'y': 'row index (0-based) on the feature grid',
                'z': 'SYNTHIA inverse depth 65536 / (raw + 1)',
                'grid_WxH': {set_name: [int(grid_hw[1]), int(grid_hw[0])]}
            },
            'pdf': 'p_c(x, y, z) = sum_k pi[c][k] * prod_d exp(-0.5 * (v_d - '
            'mu[c][k][d])^2 / var[c][k][d]) / sqrt(2 * pi_const * '
            'var[c][k][d]), v = (x, y, z), pi_const = 3.1415926',
            'squash': f'density = 255 * (1 - exp(-{squash:g} * p))',
            'sets': {
                set_name: {
                    'num_classes': num_classes,
                    'class_order': list(class_names) if class_names else None
                }
            }
        },
        set_name: fitted
    }


def write_json_atomic(data: Dict, path: str) -> None:
    """Write the GMM JSON atomically (temp file + rename)."""
    atomic_write_json(path, data)
