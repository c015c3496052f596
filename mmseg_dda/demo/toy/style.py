"""Domain appearance of the toy scenes: palette, texture, lighting, noise.

The three domains share the scene geometry (:mod:`.scene`) but differ in
camera and look, so that a source-only model meets a visible domain shift:

* ``synthia``: saturated flat "game" colours, hard window patterns, high
  camera, almost no noise;
* ``cityscapes``: desaturated green-grey cast, haze, vignetting, ego hood,
  sensor noise;
* ``mapillary``: warm, contrasted colours, coarse texture, JPEG, varied
  aspect ratios.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from .scene import (BUILDING, BUS, CAR, LANE, NUM_INTERNAL, ROAD, SIDEWALK,
                    SKY, TERRAIN, VEGETATION, VOID, WALL, Scene)

# Neutral base colours (RGB) of the internal classes.
BASE_RGB = np.array([
    (88, 86, 92), (150, 138, 130), (150, 118, 96), (168, 164, 150),
    (122, 108, 88), (96, 96, 100), (45, 45, 45), (205, 180, 40),
    (64, 112, 44), (140, 180, 225), (130, 64, 64), (96, 64, 128),
    (110, 110, 130), (190, 70, 44), (52, 52, 64), (40, 50, 120),
    (120, 140, 66), (228, 228, 220), (22, 22, 26)
], np.float32)
assert len(BASE_RGB) == NUM_INTERNAL


@dataclass(frozen=True)
class DomainStyle:
    """Appearance parameters of one domain."""
    saturation: float
    tint: Tuple[float, float, float]  # RGB gain
    gamma: float
    texture: float  # amplitude of the low-frequency texture
    texture_cell: int  # texture cell size in pixels
    noise: float  # Gaussian pixel noise sigma (0..255 scale)
    haze: float  # haze distance in metres (0 = none)
    vignette: float
    instance_tint: float
    windows: float  # contrast of the facade window pattern


STYLES = {
    'synthia': DomainStyle(1.5, (1.05, 1.0, 0.95), 0.9, 6.0, 6, 1.5, 0.0,
                           0.0, 40.0, 60.0),
    'cityscapes': DomainStyle(0.75, (0.94, 1.03, 0.97), 1.1, 12.0, 3, 5.0,
                              300.0, 0.25, 18.0, 25.0),
    'mapillary': DomainStyle(1.15, (1.12, 1.0, 0.82), 0.95, 20.0, 10, 8.0,
                             250.0, 0.15, 28.0, 35.0),
}


def _value_noise(rng: np.random.Generator, hw, cell: int) -> np.ndarray:
    """Smooth noise: a coarse random grid upsampled bilinearly."""
    h, w = hw
    small = rng.standard_normal((h // cell + 2, w // cell + 2)).astype(
        np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def render_image(scene: Scene, domain: str, rng: np.random.Generator,
                 mimic: Optional[Dict[int, int]] = None,
                 mimic_strength: float = 1.0) -> np.ndarray:
    """Colour a scene in the style of ``domain``.

    Args:
        scene: Rasterised scene.
        domain: ``'synthia'``, ``'cityscapes'`` or ``'mapillary'``.
        rng: Random generator.
        mimic: Class-conditional look changes ``{a: b}``: pixels of class
            ``a`` get the texture of class ``b`` and their colour is blended
            towards ``b``'s by ``mimic_strength`` (a shift that a global
            colour statistic cannot undo). Default: none.
        mimic_strength: Colour blend of ``mimic`` in ``[0, 1]``.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 **RGB** image.
    """
    st = STYLES[domain]
    true_labels = scene.labels
    labels = true_labels
    if mimic:
        lut = np.arange(NUM_INTERNAL, dtype=np.uint8)
        for a, b in mimic.items():
            lut[a] = b
        labels = lut[true_labels]  # the look of every pixel
    h, w = labels.shape
    base = BASE_RGB.copy()
    # Per-image colour jitter of the palette (lighting of the day).
    base *= rng.uniform(0.85, 1.15, (1, 3)).astype(np.float32)
    gray = base.mean(1, keepdims=True)
    base = gray + st.saturation * (base - gray)
    img = base[labels]
    if mimic and mimic_strength < 1.0:
        img = (mimic_strength * img +
               (1.0 - mimic_strength) * base[true_labels])
    img += st.instance_tint * scene.tint * np.isin(
        labels, (CAR, BUS))[..., None]
    img += 0.25 * st.instance_tint * scene.tint

    tex = st.texture * _value_noise(rng, (h, w), st.texture_cell)
    img += tex[..., None] * (labels != SKY)[..., None]

    # Facade windows from the surface coordinates (along-street, height).
    su, sv = scene.surf[..., 0], scene.surf[..., 1]
    facade = (labels == BUILDING)
    win = facade & (np.mod(su, 3.2) < 1.6) & (np.mod(sv, 3.0) > 1.0) & (
        np.mod(sv, 3.0) < 2.2)
    img[win] -= st.windows
    # Asphalt / pavement grain along the ground.
    ground = np.isin(labels, (ROAD, SIDEWALK, TERRAIN, LANE))
    img[ground] += 6.0 * np.sin(sv[ground] * 3.0)[:, None]
    img[labels == VEGETATION] *= 0.85 + 0.3 * (np.sin(su * 5) * np.sin(
        sv * 5) > 0)[labels == VEGETATION][:, None]
    img[labels == WALL] += 8.0 * (np.mod(sv[labels == WALL], 0.6) < 0.08)[
        :, None]

    # Sky gradient, haze, overall light.
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img = np.where((labels == SKY)[..., None], img * (1.1 - 0.4 * rows), img)
    if st.haze > 0:
        # The sky keeps some of its colour: it is hazed as if 1.5 haze
        # distances away.
        depth = np.where(np.isfinite(scene.depth), scene.depth,
                         1.5 * st.haze)
        a = (1.0 - np.exp(-depth / st.haze))[..., None]
        img = img * (1 - a) + a * np.array([200, 205, 210], np.float32)
    img *= np.asarray(st.tint, np.float32) * rng.uniform(0.8, 1.2)
    if st.vignette > 0:
        yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        img *= (1.0 - st.vignette * 0.5 * (xx ** 2 + yy ** 2))[..., None]
    img[labels == VOID] = BASE_RGB[VOID]
    img += st.noise * rng.standard_normal(img.shape, dtype=np.float32)
    img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** st.gamma
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)
