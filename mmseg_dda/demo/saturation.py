"""How much the squashed density prior says (docs/demo.md "Prior").

For labelled images with inverse depth, the squashed density
``D_c(x, y, z)`` of every class c at every feature-grid cell (z: the cell's
true inverse depth, PIL NEAREST sampling as §3.4). A prior carries
information when the density of the cell's own class is high and that of
the other classes is low; a squash scale that is too large for the grid
saturates both (every class near 255, a constant density target).

Run ``python -m mmseg_dda.demo.saturation`` for the table of docs/demo.md.
"""
from typing import Dict, Sequence, Tuple

import numpy as np
import torch

from ..density.gmm import GMMDensity, GMMParams
from ..density.resize import pil_nearest_resize

#: Squashed density above which a cell counts as saturated (95 % of 255).
SATURATED = 242.25


def saturation(density: GMMDensity, labels: np.ndarray, depths: np.ndarray,
               grid_hw: Tuple[int, int]) -> Dict[str, float]:
    """Saturation of the squashed prior on labelled images.

    Args:
        density: The prior (with its squash scale).
        labels: ``(N, H, W)`` train ids (255 ignored).
        depths: ``(N, H, W)`` inverse depth.
        grid_hw: Feature grid ``(h, w)``.

    Returns:
        dict: ``in_class`` (share of cells whose own class is saturated),
        ``wrong_class`` (share of (cell, other class) pairs saturated),
        ``in_class_median`` (median squashed density of the own class) and
        ``wrong_class_median``.
    """
    lab = pil_nearest_resize(torch.from_numpy(labels.astype(np.int64)),
                             grid_hw)
    dep = pil_nearest_resize(torch.from_numpy(depths.astype(np.float32)),
                             grid_hw)
    h, w = grid_hw
    c = density.num_classes
    x = torch.arange(w, dtype=torch.float32).view(1, 1, w)
    y = torch.arange(h, dtype=torch.float32).view(1, h, 1)
    from ..density.gmm import gmm_pdf
    own, other = [], []
    for i in range(len(labels)):
        z = dep[i].unsqueeze(0).expand(c, h, w)
        d = density.squash(gmm_pdf(x, y, z, density.mu, density.var,
                                   density.pi).double()).float()
        li = lab[i]
        valid = li < c
        onehot = torch.nn.functional.one_hot(li.clamp(0, c - 1), c).permute(
            2, 0, 1).bool()
        own.append(d[onehot & valid][...])
        other.append(d[~onehot & valid.unsqueeze(0)])
    own, other = torch.cat(own), torch.cat(other)
    return dict(in_class=float((own > SATURATED).float().mean()),
                wrong_class=float((other > SATURATED).float().mean()),
                in_class_median=float(own.median()),
                wrong_class_median=float(other.median()))


def _fit(labels, depths, grid, var_floor, scale) -> GMMParams:
    from ..density.fitting import fit_class_gmms, grid_points
    from .data import NUM_CLASSES
    pts = [[] for _ in range(NUM_CLASSES)]
    for lab, dep in zip(labels, depths):
        for c, p in enumerate(grid_points(lab, dep, grid, NUM_CLASSES)):
            pts[c].append(p)
    fitted = fit_class_gmms([np.concatenate(p) for p in pts], 5,
                            var_floor=var_floor)
    return GMMParams(*(torch.tensor(fitted[k], dtype=torch.float32)
                       for k in ('mu', 'var', 'pi')), grid_hw=grid,
                     squash_scale=scale)


def table(num_images: int = 20,
          sizes: Sequence[Tuple[int, int]] = ((160, 96), )) -> str:
    """The saturation table of docs/demo.md (demo data, fitted priors at
    the DeepLab-v2 and the MiT grid; reference ``c7`` at SYNTHIA's
    1280x760)."""
    from ..density.gmm import SQUASH_SCALE, grid_squash_scale
    from ..density.grid import feature_grid_size
    from .data import make_demo_sample
    from .prior import DEMO_VAR_FLOOR
    rows = ['| prior | grid | squash scale | in-class saturated | '
            'wrong-class saturated | median in-class D | median wrong-class '
            'D |', '|---|---|---|---|---|---|---|']

    def add(name, dens, grid, labels, depths):
        s = saturation(dens, labels, depths, grid)
        rows.append(f'| {name} | {grid[0]}x{grid[1]} | '
                    f'{dens.squash_scale:.4g} | {s["in_class"]:.1%} | '
                    f'{s["wrong_class"]:.1%} | {s["in_class_median"]:.0f} |'
                    f' {s["wrong_class_median"]:.0f} |')

    for size in sizes:
        items = [make_demo_sample('source', size, 0, i)
                 for i in range(num_images)]
        labels = np.stack([i[1] for i in items])
        depths = np.stack([i[2] for i in items])
        deeplab = feature_grid_size(size[::-1])
        mit = (-(-size[1] // 4), -(-size[0] // 4))
        for grid, net in ((deeplab, 'DeepLab-v2'), (mit, 'MiT-B5')):
            for floor, scale, what in (
                    (None, SQUASH_SCALE, 'reference settings'),
                    (DEMO_VAR_FLOOR, grid_squash_scale(grid),
                     'grid scale + variance floor')):
                params = _fit(labels, depths, grid, floor, scale)
                add(f'fitted on demo source {size[0]}x{size[1]}, {net}, '
                    f'{what}', GMMDensity(params), grid, labels, depths)
    # The reference's c7 set on SYNTHIA-shaped (1280x760) demo scenes.
    big = [make_demo_sample('source', (1280, 760), 0, i)
           for i in range(max(2, num_images // 4))]
    add('reference c7 on demo scenes at 1280x760',
        GMMDensity('c7'), (96, 161), np.stack([i[1] for i in big]),
        np.stack([i[2] for i in big]))
    return '\n'.join(rows)


if __name__ == '__main__':
    print(table())
