"""The demo figure on tiny made-up inputs."""
import numpy as np
import pytest
from PIL import Image

from mmseg_dda.visualization.demo_figure import colorize, draw_demo_figure

NAMES = ('road', 'car', 'sky')
PALETTE = ((128, 64, 128), (0, 0, 142), (70, 130, 180))


def test_colorize_palette_and_ignore():
    rgb = colorize(np.array([[0, 2], [255, 1]]), PALETTE)
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 2, 3)
    assert rgb[0, 0].tolist() == [128, 64, 128]
    assert rgb[0, 1].tolist() == [70, 130, 180]
    assert rgb[1, 0].tolist() == [0, 0, 0]


def test_draw_demo_figure(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (8, 16))
    out = tmp_path / 'fig.png'
    draw_demo_figure(
        rng.integers(0, 255, (8, 16, 3), dtype=np.uint8), labels,
        {'source only': labels, 'DDA (stage 1)': labels[::-1]},
        rng.random((4, 8)), rng.random((4, 8)), NAMES, PALETTE, str(out),
        title='tiny')
    img = np.array(Image.open(out).convert('RGB'))
    assert img.shape[0] > 200 and img.shape[1] > 600
    # The legend and the panels draw the class colours.
    colours = {tuple(c) for c in img.reshape(-1, 3)[::7]}
    assert tuple(PALETTE[1]) in colours


def test_draw_demo_figure_needs_a_colour_per_class(tmp_path):
    lab = np.zeros((4, 4), np.int64)
    with pytest.raises(ValueError, match='3 class names but 2 palette'):
        draw_demo_figure(np.zeros((4, 4, 3), np.uint8), lab, {'a': lab},
                         lab, lab, NAMES, PALETTE[:2],
                         str(tmp_path / 'x.png'))
