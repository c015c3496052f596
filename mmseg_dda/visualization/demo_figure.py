"""The demo's example figure: one target image, its ground truth, the
predictions of several models side by side, and the DDA model's inverse depth
and density with colour bars, above a class legend.

Run as ``python -m mmseg_dda.visualization.demo_figure SPEC.json`` (models
trained with the configs of ``configs/demo/`` on the ``tools/make_toy_data.py``
trees) where the JSON file holds::

    {"out": "example.png", "index": 0, "title": "...",
     "models": [{"name": "source only", "config": "...", "checkpoint": "...",
                 "cfg_options": {...}}, ...],
     "maps_from": "DDA (stage 1)"}

Every model is evaluated on item ``index`` of its config's test dataset.
"""
import argparse
import json
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..apis.examples import predict_example

IGNORE_INDEX = 255


def colorize(labels: np.ndarray, palette: Sequence[Sequence[int]],
             ignore_rgb=(0, 0, 0)) -> np.ndarray:
    """Class-id map ``(H, W)`` -> RGB uint8 ``(H, W, 3)``; ids outside the
    palette (ignore) become ``ignore_rgb``."""
    lut = np.zeros((256, 3), np.uint8)
    lut[:] = ignore_rgb
    lut[:len(palette)] = np.asarray(palette, np.uint8)
    return lut[np.asarray(labels, np.uint8)]


def draw_demo_figure(image: np.ndarray, gt: np.ndarray,
                     preds: Dict[str, np.ndarray], depth: np.ndarray,
                     density: np.ndarray, class_names: Sequence[str],
                     palette: Sequence[Sequence[int]], out_path: str,
                     maps_name: str = 'DDA (stage 1)',
                     title: Optional[str] = None) -> None:
    """Draw and save the figure.

    Args:
        image: Target image, RGB uint8 ``(H, W, 3)``.
        gt: Ground-truth class ids ``(H, W)`` (255 = ignored, drawn black).
        preds: Model name -> predicted class ids, in display order.
        depth: Predicted inverse depth ``(h, w)`` of ``maps_name``.
        density: Predicted density ``(h, w)`` of ``maps_name``.
        class_names: Names of the classes, in id order.
        palette: RGB colour of every class.
        out_path: PNG to write.
        maps_name: Model the depth and density come from (panel titles).
        title: Figure title.
    """
    if len(class_names) != len(palette):
        raise ValueError(f'demo figure: {len(class_names)} class names but '
                         f'{len(palette)} palette colours')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    top = [('target image', image), ('ground truth', colorize(gt, palette))]
    top += [(name, colorize(p, palette)) for name, p in preds.items()]
    ncols = max(len(top), 3)
    fig = plt.figure(figsize=(3.2 * ncols, 5.6), dpi=100)
    grid = fig.add_gridspec(2, ncols, height_ratios=[1, 1.15])
    for i, (name, rgb) in enumerate(top):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(rgb, aspect='auto', interpolation='nearest')
        ax.set_title(name, fontsize=10)
        ax.axis('off')
    for i, (name, arr, cmap) in enumerate(
            ((f'{maps_name}: inverse depth', depth, 'magma'),
             (f'{maps_name}: density', density, 'viridis'))):
        ax = fig.add_subplot(grid[1, i])
        im = ax.imshow(np.asarray(arr, np.float32), cmap=cmap,
                       aspect='auto', interpolation='nearest')
        ax.set_title(name, fontsize=10)
        ax.axis('off')
        fig.colorbar(im, ax=ax, orientation='horizontal', fraction=0.08,
                     pad=0.04)
    ax = fig.add_subplot(grid[1, 2:])
    ax.axis('off')
    handles = [
        Patch(facecolor=np.asarray(c) / 255.0, edgecolor='k', label=n)
        for n, c in zip(class_names, palette)
    ]
    handles.append(Patch(facecolor='k', edgecolor='k', label='ignored'))
    ax.legend(handles=handles, loc='center', ncol=3 if ncols < 5 else 4,
              fontsize=9, frameon=False, title='classes')
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(out_path)
    plt.close(fig)


def figure_from_spec(spec: dict) -> None:
    """Predict every model of ``spec`` and draw the figure (module doc)."""
    models: List[dict] = spec['models']
    maps_from = spec.get('maps_from', models[-1]['name'])
    if maps_from not in [m['name'] for m in models]:
        raise ValueError(f'demo figure: maps_from={maps_from!r} is not one '
                         f'of the models {[m["name"] for m in models]}')
    results = {
        m['name']: predict_example(m['config'], m['checkpoint'],
                                   spec.get('index', 0),
                                   m.get('cfg_options'))
        for m in models
    }
    ref = results[maps_from]
    draw_demo_figure(ref['image'], ref['gt'],
                     {k: r['pred'] for k, r in results.items()},
                     ref['depth'], ref['density'], ref['classes'],
                     ref['palette'], spec['out'], maps_name=maps_from,
                     title=spec.get('title'))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Draw the demo figure')
    parser.add_argument('spec', help='JSON file (see the module docstring)')
    args = parser.parse_args(argv)
    with open(args.spec) as f:
        figure_from_spec(json.load(f))


if __name__ == '__main__':
    main()
