"""Geometry of the synthetic street scenes (vectorised numpy rasteriser).

A pinhole camera at height ``hc`` looks along a straight street. The ground
plane gives every pixel below the horizon a depth ``Z = f * hc / (v - v0)``;
facades, walls and fences are vertical planes parallel to the street; poles,
lights, signs, trees, people and vehicles are flat billboards standing on the
ground at a foot point ``(X, Z)``, all their pixels at depth ``Z``. A z-buffer
resolves occlusions. The class layout, positions and depths therefore obey
the same geometry in every domain; only the camera and the appearance
(:mod:`.style`) change.

Internal class ids: 0..15 are the 16 train ids of docs/method.md §7.2, then
``TERRAIN`` (16), ``LANE`` (17, lane marking) and ``VOID`` (18).
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

(ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, LIGHT, SIGN, VEGETATION, SKY,
 PERSON, RIDER, CAR, BUS, MOTORCYCLE, BICYCLE) = range(16)
TERRAIN, LANE, VOID = 16, 17, 18
NUM_INTERNAL = 19

# A part of an object: (class, x0, x1, y0, y1, is_ellipse), metres relative
# to the foot point (x lateral, y height above the ground).
Part = Tuple[int, float, float, float, float, bool]


@dataclass
class Camera:
    """Pinhole camera looking along the street (no roll, no pitch)."""
    width: int
    height: int
    focal: float
    horizon: float  # row of the horizon, v0
    cam_height: float  # metres above the ground
    lateral: float = 0.0  # camera offset from the street axis (metres)

    @property
    def cx(self) -> float:
        return self.width / 2.0


@dataclass
class Scene:
    """Rasterised layers of one scene (all ``(H, W)`` unless noted)."""
    labels: np.ndarray  # uint8 internal ids
    depth: np.ndarray  # float32 metres, inf for the sky
    surf: np.ndarray  # float32 (H, W, 2) surface coordinates (metres)
    tint: np.ndarray  # float32 (H, W, 3) per-instance colour offsets


class _Canvas:
    """z-buffered label/depth canvas."""

    def __init__(self, cam: Camera) -> None:
        h, w = cam.height, cam.width
        self.cam = cam
        self.labels = np.full((h, w), SKY, np.uint8)
        self.depth = np.full((h, w), np.inf, np.float32)
        self.surf = np.zeros((h, w, 2), np.float32)
        self.tint = np.zeros((h, w, 3), np.float32)
        self.rows = np.arange(h, dtype=np.float32) + 0.5
        self.cols = np.arange(w, dtype=np.float32) + 0.5

    def write(self, region, mask, cls, z, su, sv, tint=None) -> None:
        """Write where ``mask`` holds and ``z`` is nearer than the buffer."""
        zbuf = self.depth[region]
        z = np.broadcast_to(z, zbuf.shape)
        m = mask & (z < zbuf)
        if not m.any():
            return
        self.labels[region][m] = cls
        zbuf[m] = z[m]
        self.surf[region][..., 0][m] = np.broadcast_to(su, m.shape)[m]
        self.surf[region][..., 1][m] = np.broadcast_to(sv, m.shape)[m]
        if tint is not None:
            self.tint[region][m] = tint


def _ground(cv: _Canvas, road_half: float, walk: float,
            rng: np.random.Generator) -> None:
    cam = cv.cam
    dv = cv.rows - cam.horizon
    below = dv > 0.25
    z = np.where(below, cam.focal * cam.cam_height / np.maximum(dv, 1e-3),
                 np.inf)[:, None]
    x = (cv.cols[None, :] - cam.cx) * z / cam.focal + cam.lateral
    ax = np.abs(x)
    cls = np.full(ax.shape, TERRAIN, np.uint8)
    cls[ax < road_half + walk] = SIDEWALK
    cls[ax < road_half] = ROAD
    # Dashed centre line and solid edge lines.
    dash = (np.abs(x) < 0.08) & (np.mod(z, 9.0) < 4.0)
    edge = np.abs(ax - (road_half - 0.3)) < 0.07
    cls[(dash | edge) & (ax < road_half)] = LANE
    mask = np.broadcast_to(below[:, None], ax.shape)
    zz = np.broadcast_to(z, ax.shape).astype(np.float32)
    for c in np.unique(cls):
        cv.write(np.s_[:, :], mask & (cls == c), c, zz, x, zz)


def _facades(cv: _Canvas, side: int, x_plane: float, z_edges: np.ndarray,
             heights: np.ndarray, classes: np.ndarray) -> None:
    """Vertical planes ``X = side * x_plane`` split into street segments."""
    cam = cv.cam
    du = (cv.cols - cam.cx) * side
    lat = x_plane - side * cam.lateral
    valid = du > 0.5
    zp = np.where(valid, cam.focal * lat / np.maximum(du, 1e-3), np.inf)
    seg = np.searchsorted(z_edges, zp) - 1
    valid &= (seg >= 0) & (seg < len(heights)) & (lat > 0)
    seg = np.clip(seg, 0, len(heights) - 1)
    hcol = np.where(valid, heights[seg], -1.0)
    dv = cv.rows[:, None] - cam.horizon
    y = cam.cam_height - dv * zp[None] / cam.focal
    inside = (y >= 0) & (y <= hcol[None]) & valid[None]
    zz = np.broadcast_to(zp[None], y.shape).astype(np.float32)
    colcls = classes[seg]
    for c in np.unique(colcls[valid]):
        cv.write(np.s_[:, :], inside & (colcls == c)[None], c, zz,
                 np.broadcast_to(zp[None], y.shape), y)


def _far_wall(cv: _Canvas, z_end: float, height: float) -> None:
    cam = cv.cam
    y = cam.cam_height - (cv.rows[:, None] - cam.horizon) * z_end / cam.focal
    x = (cv.cols[None, :] - cam.cx) * z_end / cam.focal
    inside = (y >= 0) & (y <= height + 4.0 * np.sin(x / 7.0) ** 2)
    cv.write(np.s_[:, :], inside, BUILDING, np.float32(z_end),
             np.broadcast_to(x, inside.shape), y)


def _part_region(cam: Camera, X: float, Z: float, part: Part):
    _, x0, x1, y0, y1, _ = part
    u0 = cam.cx + cam.focal * (X + x0 - cam.lateral) / Z
    u1 = cam.cx + cam.focal * (X + x1 - cam.lateral) / Z
    v0 = cam.horizon + cam.focal * (cam.cam_height - y1) / Z
    v1 = cam.horizon + cam.focal * (cam.cam_height - y0) / Z
    return u0, u1, v0, v1


def draw_object(cv: _Canvas, X: float, Z: float, parts: List[Part],
                tint: np.ndarray) -> None:
    """Rasterise one billboard object standing at ``(X, Z)``."""
    cam = cv.cam
    for part in parts:
        u0, u1, v0, v1 = _part_region(cam, X, Z, part)
        c0, c1 = max(int(np.floor(u0)), 0), min(int(np.ceil(u1)), cam.width)
        r0, r1 = max(int(np.floor(v0)), 0), min(int(np.ceil(v1)), cam.height)
        if c0 >= c1 or r0 >= r1:
            continue
        cu = cv.cols[c0:c1][None, :]
        rv = cv.rows[r0:r1][:, None]
        if part[5]:
            a, b = (u1 - u0) / 2, (v1 - v0) / 2
            mask = (((cu - (u0 + a)) / max(a, 0.5)) ** 2 +
                    ((rv - (v0 + b)) / max(b, 0.5)) ** 2) <= 1.0
        else:
            mask = (cu >= u0) & (cu < max(u1, u0 + 1)) & \
                (rv >= v0) & (rv < max(v1, v0 + 1))
        su = (cu - cam.cx) * Z / cam.focal
        sv = cam.cam_height - (rv - cam.horizon) * Z / cam.focal
        # Slightly in front of the ground at the foot point.
        cv.write(np.s_[r0:r1, c0:c1], mask, part[0], np.float32(Z - 0.05),
                 su, sv, tint)


def _wheels(cls: int, half: float, r: float) -> List[Part]:
    return [(cls, -half - r, -half + r, 0.0, 2 * r, True),
            (cls, half - r, half + r, 0.0, 2 * r, True)]


def object_parts(kind: str, rng: np.random.Generator) -> List[Part]:
    """Parts of one object kind, with small random size variations."""
    s = rng.uniform(0.9, 1.1)
    if kind == 'pole':
        h = rng.uniform(4.0, 7.0)
        return [(POLE, -0.1, 0.1, 0.0, h, False)]
    if kind == 'light':
        return [(POLE, -0.08, 0.08, 0.0, 4.2 * s, False),
                (LIGHT, -0.22, 0.22, 4.2 * s, 5.3 * s, False)]
    if kind == 'sign':
        return [(POLE, -0.05, 0.05, 0.0, 2.3 * s, False),
                (SIGN, -0.4, 0.4, 2.2 * s, 3.0 * s, bool(rng.random() < .5))]
    if kind == 'tree':
        r = rng.uniform(1.2, 2.2)
        return [(VEGETATION, -0.15, 0.15, 0.0, 2.6 * s, False),
                (VEGETATION, -r, r, 2.0 * s, 2.0 * s + 2.2 * r, True)]
    if kind == 'person':
        return [(PERSON, -0.2 * s, -0.03, 0.0, 0.85 * s, False),
                (PERSON, 0.03, 0.2 * s, 0.0, 0.85 * s, False),
                (PERSON, -0.25 * s, 0.25 * s, 0.8 * s, 1.45 * s, False),
                (PERSON, -0.12, 0.12, 1.43 * s, 1.75 * s, True)]
    if kind in ('bicycle', 'motorcycle'):
        cls = BICYCLE if kind == 'bicycle' else MOTORCYCLE
        body = (0.35, 0.55) if kind == 'bicycle' else (0.3, 0.9)
        return _wheels(cls, 0.55, 0.32) + [
            (cls, -0.6, 0.6, body[0], body[1], False)]
    if kind == 'rider':
        vehicle = 'bicycle' if rng.random() < 0.6 else 'motorcycle'
        return object_parts(vehicle, rng) + [
            (RIDER, -0.25, 0.25, 0.75, 1.55 * s, False),
            (RIDER, -0.12, 0.12, 1.5 * s, 1.8 * s, True)]
    if kind == 'car':
        w = 0.9 * s
        return [(CAR, -w, w, 0.25, 1.0, False),
                (CAR, -0.75 * w, 0.75 * w, 0.95, 1.5 * s, False)] + \
            _wheels(CAR, 0.7 * w, 0.22)
    if kind == 'bus':
        return [(BUS, -1.25, 1.25, 0.3, 3.1 * s, False)] + \
            _wheels(BUS, 0.9, 0.35)
    raise ValueError(f'unknown toy object kind {kind!r}')


@dataclass(frozen=True)
class Layout:
    """What stands along the street: object counts, depths, facades.

    Attributes:
        counts: Per object kind, ``[lo, hi)`` of the number of objects.
        depths: Per object kind, ``[lo, hi)`` of the foot-point depth (m);
            kinds not listed use ``default_depth``.
        default_depth: Depth range of the kinds not in ``depths``.
        facade_classes: Classes drawn for the street-side facade segments
            (repeats weight the draw).
    """
    counts: Dict[str, Tuple[int, int]] = field(default_factory=lambda: dict(
        pole=(2, 5), light=(0, 3), sign=(1, 3), tree=(1, 5), person=(1, 5),
        rider=(0, 3), car=(2, 6), bus=(0, 2), motorcycle=(0, 2),
        bicycle=(0, 3)))
    depths: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    default_depth: Tuple[float, float] = (4.0, 60.0)
    facade_classes: Tuple[int, ...] = (BUILDING, BUILDING, BUILDING, WALL,
                                       VEGETATION)


#: The toy datasets' layout: every object at a depth in 4-60 m.
DEFAULT_LAYOUT = Layout()


def _sample_objects(rng: np.random.Generator, road_half: float,
                    walk: float, layout: Layout = DEFAULT_LAYOUT
                    ) -> List[Tuple[str, float, float]]:
    """Object kinds and foot points ``(X, Z)`` along the street."""
    curb = road_half + walk
    out = []
    for kind, (lo, hi) in layout.counts.items():
        z_lo, z_hi = layout.depths.get(kind, layout.default_depth)
        for _ in range(int(rng.integers(lo, hi))):
            side = rng.choice((-1.0, 1.0))
            z = float(rng.uniform(z_lo, z_hi))
            if kind in ('pole', 'light', 'sign', 'tree'):
                x = side * (curb - rng.uniform(0.3, 0.8))
            elif kind in ('person', 'bicycle'):
                x = side * (road_half + rng.uniform(0.4, walk - 0.2))
            elif kind == 'car' and rng.random() < 0.4:
                x = side * (road_half - 1.1)  # parked at the curb
            else:
                x = side * road_half * rng.uniform(0.2, 0.6)
            out.append((kind, x, z))
    return out


def render_scene(cam: Camera, rng: np.random.Generator,
                 ego_void_rows: float = 0.0,
                 layout: Optional[Layout] = None) -> Scene:
    """Sample and rasterise one street scene.

    Args:
        cam: Camera (size, focal, horizon, height).
        rng: Random generator (the scene is a function of its state).
        ego_void_rows: Fraction of bottom rows covered by the ego vehicle
            (labelled ``VOID``), as in Cityscapes frames.
        layout: Object counts, depths and facade classes (default
            :data:`DEFAULT_LAYOUT`).

    Returns:
        Scene: labels, depth (metres), surface coordinates, tints.
    """
    # Rays at or above the horizon give inf/nan depths; they are masked.
    with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
        return _render(cam, rng, ego_void_rows, layout or DEFAULT_LAYOUT)


def _render(cam: Camera, rng: np.random.Generator, ego_void_rows: float,
            layout: Layout) -> Scene:
    cv = _Canvas(cam)
    road_half = float(rng.uniform(3.5, 7.0))
    walk = float(rng.uniform(2.0, 4.0))
    _far_wall(cv, float(rng.uniform(90.0, 140.0)), float(rng.uniform(8, 20)))
    _ground(cv, road_half, walk, rng)
    for side in (-1, 1):
        n = 12
        edges = np.concatenate(
            [[rng.uniform(0.0, 6.0)],
             rng.uniform(6.0, 22.0, n).cumsum() + 6.0]).astype(np.float32)
        heights = rng.uniform(6.0, 24.0, n).astype(np.float32)
        classes = rng.choice(list(layout.facade_classes),
                             n).astype(np.uint8)
        heights[classes == WALL] = rng.uniform(2.0, 4.0)
        heights[classes == VEGETATION] = rng.uniform(3.0, 8.0)
        gap = float(rng.uniform(0.5, 4.0))
        _facades(cv, side, road_half + walk + gap, edges, heights, classes)
        # Fences/walls along the outer edge of the sidewalk.
        fedges = np.concatenate(
            [[0.0], rng.uniform(4.0, 15.0, n).cumsum()]).astype(np.float32)
        fheights = np.where(rng.random(n) < 0.45,
                            rng.uniform(0.9, 1.8, n), -1.0).astype(np.float32)
        fclasses = rng.choice([FENCE, FENCE, WALL], n).astype(np.uint8)
        _facades(cv, side, road_half + walk + 0.1, fedges, fheights, fclasses)
    for kind, x, z in _sample_objects(rng, road_half, walk, layout):
        tint = rng.normal(0.0, 1.0, 3).astype(np.float32)
        draw_object(cv, x, z, object_parts(kind, rng), tint)
    if ego_void_rows > 0:
        r0 = int(round(cam.height * (1.0 - ego_void_rows)))
        cv.labels[r0:] = VOID
        cv.depth[r0:] = 1.0
    return Scene(cv.labels, cv.depth, cv.surf, cv.tint)
