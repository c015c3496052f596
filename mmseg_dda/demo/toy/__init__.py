"""Synthetic street scenes in the SYNTHIA / Cityscapes / Mapillary formats.

Used by the tests, the demo and the loader benchmark (no real data needed).
"""
from .scene import Camera, Scene, render_scene
from .style import STYLES, render_image
from .writer import generate_toy_dataset, make_sample

__all__ = ['generate_toy_dataset', 'make_sample', 'render_scene',
           'render_image', 'Camera', 'Scene', 'STYLES']
