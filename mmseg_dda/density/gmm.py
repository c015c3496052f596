"""Per-class depth-distribution GMM priors of DDA (docs/method.md §3).

For each class c a 5-component diagonal Gaussian mixture over
``(x, y, z)`` = (feature-grid column, feature-grid row, SYNTHIA inverse depth
``65536 / (raw + 1)``) describes where the class lies in the source domain.
This module loads the parameter sets, evaluates the pdf vectorised over whole
grids, and builds the source and target density targets of the density head.

Provenance: the formulas, constants (``PI = 3.1415926``, squashing
``255 * (1 - exp(-1e6 * p))``) and the evaluation procedure follow the DDA
reference (depdis/Depth_Distribution @ 6cea3a2, ``main/utils/denpro.py`` and
``main/scripts/gene_sourceDensityMaps.py``), re-implemented from the
specification. The reference loops over pixels in Python and calls a compiled
C function per pixel and class; here the same formula is evaluated as tensor
operations (inputs rounded to float32 like the reference, maths in float64).
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .resize import pil_nearest_resize

#: Value of pi used by the reference C kernel (``getDensity_*.so``).
REFERENCE_PI = 3.1415926
#: Squashing constants of docs/method.md §3.3: ``SQUASH_SCALE`` is the
#: reference's, for its sets on the 96x161 grid.
SQUASH_SCALE = 1e6
SQUASH_MAX = 255.
#: Feature grid ``(h, w)`` the reference's sets and squash scale belong to.
REFERENCE_GRID_HW = (96, 161)
#: Largest accepted deviation of a class's mixture weights from sum 1 (the
#: reference sets are within 1e-4).
PI_SUM_TOLERANCE = 1e-3

#: The JSON with the reference sets ``c16``, ``c7`` and ``c7small``.
BUILTIN_PARAMS_FILE = osp.join(osp.dirname(__file__), 'params',
                               'gmm_params.json')

ArrayLike = Union[Tensor, np.ndarray, float]


@dataclass
class GMMParams:
    """One set of per-class GMM parameters.

    Attributes:
        mu (Tensor): Means, float32 ``(C, K, 3)`` as ``(x, y, z)``.
        var (Tensor): Diagonal variances, float32 ``(C, K, 3)``.
        pi (Tensor): Mixture weights, float32 ``(C, K)``.
        class_names (list[str] | None): Class order of the set.
        grid_hw (tuple[int, int] | None): Feature grid ``(h, w)`` the set was
            fitted on (x in ``[0, w)``, y in ``[0, h)``).
        name (str): Set name, e.g. ``'c16'``.
        source (str): File the set was read from.
        squash_scale (float | None): Squash scale of the set (a fitted set
            stores it); None: the reference's :data:`SQUASH_SCALE`.
    """
    mu: Tensor
    var: Tensor
    pi: Tensor
    class_names: Optional[List[str]] = None
    grid_hw: Optional[Tuple[int, int]] = None
    name: str = ''
    source: str = ''
    squash_scale: Optional[float] = None

    @property
    def num_classes(self) -> int:
        """int: Number of classes C."""
        return int(self.mu.shape[0])

    @property
    def num_components(self) -> int:
        """int: Number of mixture components K."""
        return int(self.mu.shape[1])


def _params_error(path: str, set_name: str, msg: str) -> ValueError:
    return ValueError(f'{path}: GMM parameter set {set_name!r}: {msg}')


def load_gmm_params(source: str = 'c16',
                    set_name: Optional[str] = None) -> GMMParams:
    """Load a GMM parameter set.

    Args:
        source (str): A built-in set name (``'c16'``, ``'c7'``, ``'c7small'``,
            read from the package JSON) or the path of a JSON file in the same
            format (a ``_meta`` block and one or more sets, as written by
            ``tools/fit_gmm.py``).
        set_name (str, optional): Set to read from a JSON path. May be omitted
            when the file holds exactly one set. For a built-in name it must be
            omitted or equal ``source``.

    Returns:
        GMMParams: The parameters as float32 tensors.
    """
    source = str(source)
    if source.lower().endswith('.json') or osp.sep in source:
        path = source
        if not osp.isfile(path):
            raise FileNotFoundError(f'GMM parameter file not found: {path}')
    else:
        path = BUILTIN_PARAMS_FILE
        if set_name is not None and set_name != source:
            raise ValueError(f'load_gmm_params: built-in set {source!r} '
                             f'cannot be combined with set_name={set_name!r}')
        set_name = source
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from e
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a JSON object with GMM sets')
    sets = sorted(k for k in data if not k.startswith('_'))
    if set_name is None:
        if len(sets) != 1:
            raise ValueError(f'{path}: holds the GMM sets {sets}; pass '
                             'set_name to choose one')
        set_name = sets[0]
    if set_name not in data or set_name.startswith('_'):
        raise KeyError(f'{path}: no GMM parameter set {set_name!r} '
                       f'(available: {sets})')
    entry = data[set_name]
    for key in ('mu', 'var', 'pi'):
        if key not in entry:
            raise _params_error(path, set_name, f'missing key {key!r}')
    try:
        mu64 = np.asarray(entry['mu'], dtype=np.float64)
        var64 = np.asarray(entry['var'], dtype=np.float64)
        pi64 = np.asarray(entry['pi'], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise _params_error(path, set_name, f'non-numeric values ({e})')
    if mu64.ndim != 3 or mu64.shape[2] != 3:
        raise _params_error(path, set_name,
                            f'mu must have shape [C][K][3], got {mu64.shape}')
    if var64.shape != mu64.shape:
        raise _params_error(
            path, set_name,
            f'var shape {var64.shape} differs from mu shape {mu64.shape}')
    if pi64.shape != mu64.shape[:2]:
        raise _params_error(
            path, set_name,
            f'pi must have shape [C][K] = {list(mu64.shape[:2])}, got '
            f'{list(pi64.shape)}')
    if not (np.isfinite(mu64).all() and np.isfinite(var64).all()
            and np.isfinite(pi64).all()):
        raise _params_error(path, set_name, 'non-finite values')
    if (var64 <= 0).any():
        raise _params_error(path, set_name, 'variances must be > 0')
    if (pi64 < 0).any():
        raise _params_error(path, set_name, 'mixture weights must be >= 0')
    if mu64.shape[0] == 0 or mu64.shape[1] == 0:
        raise _params_error(path, set_name,
                            f'no classes or no components (mu {mu64.shape})')
    # Weights that do not sum to 1 scale every density of the class (all 0:
    # all-zero maps), which no later step can notice.
    sums = pi64.sum(-1)
    off = np.flatnonzero(np.abs(sums - 1) > PI_SUM_TOLERANCE)
    if off.size:
        raise _params_error(
            path, set_name,
            f'the mixture weights of class {int(off[0])} sum to '
            f'{sums[off[0]]:.6g}, expected 1 (within {PI_SUM_TOLERANCE}; '
            f'{off.size} classes off)')

    meta = data.get('_meta', {}) if isinstance(data.get('_meta'), dict) else {}
    class_names = meta.get('sets', {}).get(set_name, {}).get('class_order')
    if class_names is not None and len(class_names) != mu64.shape[0]:
        raise _params_error(
            path, set_name,
            f'_meta class_order has {len(class_names)} names but the set has '
            f'{mu64.shape[0]} classes')
    grid_wh = meta.get('coordinates', {}).get('grid_WxH', {}).get(set_name)
    if grid_wh is not None and not (
            isinstance(grid_wh, (list, tuple)) and len(grid_wh) == 2
            and all(isinstance(v, int) and v >= 1 for v in grid_wh)):
        raise _params_error(path, set_name,
                            '_meta coordinates.grid_WxH must be two positive '
                            f'ints [W, H], got {grid_wh!r}')
    grid_hw = (int(grid_wh[1]), int(grid_wh[0])) if grid_wh else None
    scale = entry.get('squash_scale')
    if scale is not None:
        scale = check_squash_scale(scale, f'{path}: GMM parameter set '
                                   f'{set_name!r}: squash_scale')
    return GMMParams(
        mu=torch.from_numpy(mu64.astype(np.float32)),
        var=torch.from_numpy(var64.astype(np.float32)),
        pi=torch.from_numpy(pi64.astype(np.float32)),
        class_names=list(class_names) if class_names is not None else None,
        grid_hw=grid_hw,
        name=set_name,
        source=path,
        squash_scale=scale)


def check_squash_scale(value, what: str = 'squash_scale') -> float:
    """``value`` as a float, or ``ValueError`` naming ``what`` if it is not a
    finite number > 0."""
    try:
        scale = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'{what} must be a number > 0, got {value!r}')
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f'{what} must be a finite number > 0, got {value!r}')
    return scale


def grid_squash_scale(grid_hw: Tuple[int, int]) -> float:
    """Squash scale of a set fitted on the grid ``grid_hw`` (§3.3).

    The pdf is per grid cell in x and y, so on a grid with ``k`` times the
    reference's cell count it is ``k`` times smaller for the same layout.
    ``SQUASH_SCALE * h * w / (96 * 161)`` puts the squashed in-class
    density where the reference's sets put it on their grid (1e6 on
    96x161).
    """
    h, w = int(grid_hw[0]), int(grid_hw[1])
    if h < 1 or w < 1:
        raise ValueError(f'grid_squash_scale: invalid grid {grid_hw}')
    return SQUASH_SCALE * (h * w) / (REFERENCE_GRID_HW[0] *
                                     REFERENCE_GRID_HW[1])


def _as_f64(value: ArrayLike, device: torch.device) -> Tensor:
    """Round to float32 (as the reference passes c_float) then widen."""
    t = torch.as_tensor(value, device=device)
    return t.to(torch.float32).to(torch.float64)


def _gmm_coeffs(mu: Tensor, var: Tensor,
                pi: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Per-component float64 coefficients of the pdf, component dim first.

    Returns ``(mu_t, a_t, logw_t)`` of shapes ``(3, K, *B)``, ``(3, K, *B)``
    and ``(K, *B)``, with ``a = 1 / (2 sigma^2)`` and
    ``logw = log(pi) - sum_d log(sqrt(2 PI) sigma_d)``, from inputs rounded
    to float32 (``sigma = float32(sqrt(var))``) as the reference passes them.
    K and the dimension come first so that per-cell gathers stay contiguous
    and the sum over components is a cheap outer-dim reduction.
    """
    mu64 = mu.to(torch.float32).to(torch.float64)
    sigma64 = var.to(torch.float64).sqrt().to(torch.float32).to(torch.float64)
    a64 = 0.5 / sigma64**2
    logw64 = (pi.to(torch.float32).to(torch.float64).log() -
              torch.log((2 * REFERENCE_PI)**0.5 * sigma64).sum(-1))
    nb = mu.ndim - 2
    perm = (nb + 1, nb) + tuple(range(nb))
    return (mu64.permute(perm).contiguous(), a64.permute(perm).contiguous(),
            logw64.movedim(-1, 0).contiguous())


def _gmm_eval(coords: List[Tensor], mu_t: Tensor, a_t: Tensor,
              logw_t: Tensor) -> Tensor:
    """Evaluate the mixture; see :func:`gmm_pdf` for the shape rules.

    ``mu_t``/``a_t`` are ``(3, K, *B)`` and ``logw_t`` is ``(K, *B)``.
    """
    batch = tuple(logw_t.shape[1:])
    num_k = logw_t.shape[0]
    ndim = max([c.ndim for c in coords] + [len(batch)])
    # Parameters as (K, *B, 1, ..., 1) so that they line up with the points.
    pshape = (num_k, ) + batch + (1, ) * (ndim - len(batch))
    expo = logw_t.reshape(pshape)
    for d, coord in enumerate(coords):
        coord = coord.reshape((1, ) * (ndim - coord.ndim + 1) +
                              tuple(coord.shape))
        # Per-dimension terms broadcast only when added: with grid
        # coordinates x (1,1,1,w) and y (1,1,h,1) this stays cheap.
        q = coord - mu_t[d].reshape(pshape)
        q = q.square_().mul_(a_t[d].reshape(pshape))
        expo = expo - q
    # exp(log w - sum_d q_d) equals the reference's product of per-dimension
    # normal densities up to float64 rounding (far below float32 precision).
    return expo.exp_().sum(0).to(torch.float32)


def gmm_pdf(x: ArrayLike, y: ArrayLike, z: ArrayLike, mu: Tensor, var: Tensor,
            pi: Tensor) -> Tensor:
    """Evaluate diagonal 3-D Gaussian-mixture densities (docs/method.md §3.2).

    ``p = sum_k pi_k * prod_d exp(-0.5 (v_d - mu_kd)^2 / s_kd^2) /
    (sqrt(2 PI) s_kd)`` with ``s = sqrt(var)`` and ``PI = 3.1415926``.

    The parameters may carry batch dims ``B``: ``mu`` ``(*B, K, 3)``, ``var``
    ``(*B, K, 3)``, ``pi`` ``(*B, K)``. The points ``x``, ``y``, ``z`` are
    broadcast against each other after left-padding to a common number of dims
    ``n >= len(B)``; their leading ``len(B)`` dims are matched with ``B``.
    Example: ``mu`` ``(C, K, 3)`` with ``x`` ``(1, 1, w)``, ``y`` ``(1, h, 1)``
    and ``z`` ``(C, h, w)`` gives ``(C, h, w)``, class c evaluated with its
    own mixture. Inputs are rounded to float32 (``sigma`` after a float64
    ``sqrt``), the maths runs in float64, the result is float32.

    Args:
        x (Tensor | ndarray | float): Column coordinates.
        y (Tensor | ndarray | float): Row coordinates.
        z (Tensor | ndarray | float): Inverse depths.
        mu (Tensor): Means ``(*B, K, 3)``.
        var (Tensor): Variances ``(*B, K, 3)``; float64 input gives the exact
            reference ``sigma = float32(sqrt(var))``.
        pi (Tensor): Mixture weights ``(*B, K)``.

    Returns:
        Tensor: float32 densities of the broadcast point shape.
    """
    mu = torch.as_tensor(mu)
    device = mu.device
    var = torch.as_tensor(var, device=device)
    pi = torch.as_tensor(pi, device=device)
    if mu.ndim < 2 or mu.shape[-1] != 3:
        raise ValueError(f'gmm_pdf: mu must have shape (*B, K, 3), got '
                         f'{tuple(mu.shape)}')
    if var.shape != mu.shape or pi.shape != mu.shape[:-1]:
        raise ValueError(
            f'gmm_pdf: inconsistent parameter shapes mu {tuple(mu.shape)}, '
            f'var {tuple(var.shape)}, pi {tuple(pi.shape)}')
    coords = [_as_f64(v, device) for v in (x, y, z)]
    return _gmm_eval(coords, *_gmm_coeffs(mu, var, pi))


def squash_density(p: Union[Tensor, np.ndarray],
                   scale: float = SQUASH_SCALE,
                   max_value: float = SQUASH_MAX) -> Union[Tensor, np.ndarray]:
    """Map raw pdf values to ``[0, 255]``: ``max_value * (1 - exp(-scale*p))``.

    Computed in the input's dtype (the reference squashes the stored source
    maps in float32 and the target density in float64).

    Args:
        p (Tensor | ndarray): Raw densities (>= 0).
        scale (float): Default 1e6 (docs/method.md §3.3).
        max_value (float): Default 255.

    Returns:
        Tensor | ndarray: Squashed values, same type and dtype as ``p``.
    """
    if isinstance(p, np.ndarray):
        return (max_value * (1 - np.exp(-scale * p))).astype(p.dtype,
                                                              copy=False)
    return max_value * (1 - torch.exp(-scale * p))


def first_argmax(logits: Tensor) -> Tensor:
    """``argmax`` over dim 1 of ``(N, C, h, w)``, first maximum on ties.

    ``Tensor.max(dim).indices`` returns the same indices as
    ``torch.argmax`` (first maximal value, checked in the tests) and is
    several times faster on CPU for a short channel dim.
    """
    return logits.max(dim=1).indices


@MODELS.register_module()
class GMMDensity(nn.Module):
    """Per-class GMM density prior and the density-head targets of DDA.

    Args:
        params (str | GMMParams): Built-in set name (``'c16'``, ``'c7'``,
            ``'c7small'``), a JSON path (see :func:`load_gmm_params`) or
            already loaded parameters.
        set_name (str, optional): Set to read from a JSON path.
        num_classes (int, optional): Number of classes of the model; a
            different number of GMM classes raises ``ValueError``.
        squash_scale (float, optional): ``s`` of the squash
            ``255 (1 - exp(-s p))`` (docs/method.md §3.3). Default: the
            set's own (a fitted set stores the one of its grid,
            :func:`grid_squash_scale`), else the reference's 1e6.
    """

    def __init__(self,
                 params: Union[str, GMMParams] = 'c16',
                 set_name: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 squash_scale: Optional[float] = None) -> None:
        super().__init__()
        if not isinstance(params, GMMParams):
            params = load_gmm_params(params, set_name)
        if squash_scale is None:
            squash_scale = params.squash_scale
        self.squash_scale = SQUASH_SCALE if squash_scale is None else \
            check_squash_scale(squash_scale, 'GMMDensity: squash_scale')
        label = params.name or str(params.source)
        if num_classes is not None and int(num_classes) != params.num_classes:
            # Name the file unless it is a built-in set.
            source = (f' ({params.source})' if params.source and
                      params.source != BUILTIN_PARAMS_FILE else '')
            raise ValueError(
                f'GMM parameter set {label!r}{source} has '
                f'{params.num_classes} classes but the model has '
                f'{int(num_classes)} classes')
        self.set_name = label
        self.class_names = params.class_names
        self.grid_hw = params.grid_hw
        # Non-persistent: the prior is data, not learnt state, and must not
        # end up in (or be required by) checkpoints.
        self.register_buffer('mu', params.mu.float().clone(), persistent=False)
        self.register_buffer(
            'var', params.var.float().clone(), persistent=False)
        self.register_buffer('pi', params.pi.float().clone(), persistent=False)

    @property
    def num_classes(self) -> int:
        """int: Number of classes of the parameter set."""
        return int(self.mu.shape[0])

    def extra_repr(self) -> str:
        return (f'set={self.set_name!r}, num_classes={self.num_classes}, '
                f'K={self.mu.shape[1]}, grid_hw={self.grid_hw}, '
                f'squash_scale={self.squash_scale:g}')

    def squash(self, p: Union[Tensor, np.ndarray]
               ) -> Union[Tensor, np.ndarray]:
        """:func:`squash_density` with this prior's ``squash_scale``."""
        return squash_density(p, self.squash_scale)

    def _grid_coords(self, h: int, w: int) -> Tuple[Tensor, Tensor]:
        dev = self.mu.device
        x = torch.arange(w, device=dev, dtype=torch.float32).view(1, 1, w)
        y = torch.arange(h, device=dev, dtype=torch.float32).view(1, h, 1)
        return x, y

    @torch.no_grad()
    def source_density_maps(self,
                            label: Union[Tensor, np.ndarray],
                            inv_depth: Union[Tensor, np.ndarray],
                            grid_hw: Tuple[int, int],
                            mask_outside: bool = False) -> Tensor:
        """Raw source density maps of one image (docs/method.md §3.4).

        For every class c: ``depA = inv_depth * (label == c)`` at native
        resolution, downsampled to the grid with PIL NEAREST, and the class pdf
        evaluated at **every** cell ``(x=column, y=row, z=depA)``, including
        cells outside the class (z = 0), as in the reference.

        Args:
            label (Tensor | ndarray): ``(H, W)`` train ids (255 = ignore).
            inv_depth (Tensor | ndarray): ``(H, W)`` inverse depth.
            grid_hw (tuple[int, int]): Feature grid ``(h, w)``.
            mask_outside (bool): Ablation: zero the cells whose downsampled
                class mask is 0. Default False (reference).

        Returns:
            Tensor: float32 ``(C, h, w)`` raw pdf values (not squashed).
        """
        label = torch.as_tensor(label, device=self.mu.device)
        inv_depth = torch.as_tensor(inv_depth, device=self.mu.device)
        if label.ndim != 2 or inv_depth.shape != label.shape:
            raise ValueError(
                'source_density_maps: label and inv_depth must both be (H, W) '
                f'with the same shape, got {tuple(label.shape)} and '
                f'{tuple(inv_depth.shape)}')
        h, w = int(grid_hw[0]), int(grid_hw[1])
        # Masking commutes with nearest sampling, so sample first and mask on
        # the small grid (identical to resizing C masked full-size maps).
        lab_g = pil_nearest_resize(label.long(), (h, w))
        dep_g = pil_nearest_resize(inv_depth.to(torch.float32), (h, w))
        classes = torch.arange(self.num_classes, device=lab_g.device)
        onehot = lab_g.unsqueeze(0) == classes.view(-1, 1, 1)
        z = dep_g.unsqueeze(0) * onehot
        x, y = self._grid_coords(h, w)
        maps = gmm_pdf(x, y, z, self.mu, self.var, self.pi)
        if mask_outside:
            maps = maps * onehot
        return maps

    @torch.no_grad()
    def source_density_target(self,
                              density_maps: Tensor,
                              seg_logits: Tensor,
                              gather: str = 'pred',
                              gt_label: Optional[Tensor] = None) -> Tensor:
        """Source density target of the density head (docs/method.md §3.5).

        Args:
            density_maps (Tensor): Squashed maps ``(N, C, h, w)``.
            seg_logits (Tensor): Source segmentation logits ``(N, C, h, w)``.
            gather (str): ``'pred'`` (reference): take the map of the
                predicted (argmax) class. ``'gt'`` (ablation): take the map of
                the ground-truth class; cells whose downsampled label is
                ignored get 0.
            gt_label (Tensor, optional): ``(N, H, W)`` or ``(N, 1, H, W)``
                train ids at input resolution; required for ``'gt'``.

        Returns:
            Tensor: ``(N, 1, h, w)`` target, dtype of ``density_maps``.
        """
        if density_maps.ndim != 4 or density_maps.shape[1] != self.num_classes:
            raise ValueError(
                'source_density_target: density_maps must be (N, '
                f'{self.num_classes}, h, w), got {tuple(density_maps.shape)}')
        n, _, h, w = density_maps.shape
        if gather == 'pred':
            if seg_logits.shape != density_maps.shape:
                raise ValueError(
                    'source_density_target: seg_logits shape '
                    f'{tuple(seg_logits.shape)} differs from density_maps '
                    f'shape {tuple(density_maps.shape)}')
            cls = first_argmax(seg_logits).unsqueeze(1)
            return density_maps.gather(1, cls)
        if gather != 'gt':
            raise ValueError("source_density_target: gather must be 'pred' or "
                             f"'gt', got {gather!r}")
        if gt_label is None:
            raise ValueError("source_density_target: gather='gt' needs "
                             'gt_label')
        if gt_label.ndim == 4 and gt_label.shape[1] == 1:
            gt_label = gt_label[:, 0]
        if gt_label.ndim != 3 or gt_label.shape[0] != n:
            raise ValueError('source_density_target: gt_label must be (N, H, '
                             f'W) with N={n}, got {tuple(gt_label.shape)}')
        lab = pil_nearest_resize(gt_label.long(), (h, w)).unsqueeze(1)
        valid = (lab >= 0) & (lab < self.num_classes)
        target = density_maps.gather(1, lab.clamp(0, self.num_classes - 1))
        return target * valid

    @torch.no_grad()
    def target_density_target(self, seg_logits: Tensor,
                              depth: Tensor) -> Tensor:
        """Target-domain density target (docs/method.md §3.6).

        ``D(p_cls(x, y, z))`` with ``cls`` the argmax class and ``z`` the
        predicted inverse depth, 0 where ``z <= 0``. The grid is the tensor
        shape; batches are evaluated per sample independently.

        Args:
            seg_logits (Tensor): Target logits ``(N, C, h, w)``.
            depth (Tensor): Predicted inverse depth ``(N, 1, h, w)``.

        Returns:
            Tensor: float32 ``(N, 1, h, w)`` squashed density, no grad.
        """
        if seg_logits.ndim != 4 or seg_logits.shape[1] != self.num_classes:
            raise ValueError(
                'target_density_target: seg_logits must be (N, '
                f'{self.num_classes}, h, w), got {tuple(seg_logits.shape)}')
        n, _, h, w = seg_logits.shape
        if depth.shape != (n, 1, h, w):
            raise ValueError(
                f'target_density_target: depth must be {(n, 1, h, w)}, got '
                f'{tuple(depth.shape)}')
        cls = first_argmax(seg_logits)  # (N, h, w)
        z = depth[:, 0].to(torch.float32)
        x, y = self._grid_coords(h, w)
        # Coefficients per class first (K x C), then gathered per cell.
        mu_t, a_t, logw_t = _gmm_coeffs(self.mu, self.var, self.pi)
        k, c = logw_t.shape
        # One row gather of a (C, 7K) table is much cheaper on CPU than three
        # advanced-indexing gathers along a non-leading dim.
        table = torch.cat([mu_t.reshape(3 * k, c), a_t.reshape(3 * k, c),
                           logw_t]).t().contiguous()
        cells = table.index_select(0, cls.reshape(-1)).t().contiguous()
        cells = cells.view(7 * k, n, h, w)
        coords = [_as_f64(v, z.device) for v in (x, y, z)]
        p = _gmm_eval(coords, cells[:3 * k].view(3, k, n, h, w),
                      cells[3 * k:6 * k].view(3, k, n, h, w), cells[6 * k:])
        p = torch.where(z > 0, p, torch.zeros_like(p))
        # Reference: float32 pdf, squashed in float64, returned as float32.
        return squash_density(p.to(torch.float64), self.squash_scale).to(
            torch.float32).unsqueeze(1)
