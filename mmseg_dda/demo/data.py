"""In-memory toy data of the demo study (docs/demo.md "Data").

Seven classes (flat, construction, object, nature, sky, human, vehicle) of
the street-scene generator (:mod:`mmseg_dda.demo.toy`), with

* class-specific depths (:data:`DEMO_LAYOUT`): people near the camera,
  vehicles a little further, poles and signs further, trees furthest;
* the same car-mounted camera, image size and no ego hood in both domains,
  so that no cue exists on one domain only;
* the target look of the toy Cityscapes style (:data:`TARGET_STYLE`), plus
  class-conditional look changes between classes that image rows or depth
  separate (sky looks like the road, trees look like facades, people look
  like vehicles): a shift that global colour statistics cannot undo.

Images are generated in memory (they are small); ``tools/make_toy_data.py``
writes the on-disk trees of the real dataset formats.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from ..datasets.class_mappings import CLASSES_7
from .toy.scene import (BICYCLE, BUILDING, BUS, CAR, FENCE, LANE,
                                  LIGHT, MOTORCYCLE, NUM_INTERNAL, PERSON,
                                  POLE, RIDER, ROAD, SIDEWALK, SIGN, SKY,
                                  TERRAIN, VEGETATION, VOID, WALL, Camera,
                                  Layout, render_scene)
from .toy.style import render_image
from .toy.writer import depth_to_synthia_png
from ..datasets.formats.synthia import decode_synthia_depth

#: Internal toy class -> 7-class train id (255 = ignore), as
#: ``SYNTHIA_TO_7`` of :mod:`mmseg_dda.datasets.class_mappings`.
TO_7 = np.full(NUM_INTERNAL, 255, np.uint8)
for _ids, _c in (((ROAD, SIDEWALK, LANE), 0), ((BUILDING, WALL, FENCE), 1),
                 ((POLE, LIGHT, SIGN), 2), ((VEGETATION, TERRAIN), 3),
                 ((SKY, ), 4), ((PERSON, RIDER), 5),
                 ((CAR, BUS, MOTORCYCLE, BICYCLE), 6)):
    TO_7[list(_ids)] = _c
TO_7[VOID] = 255
NUM_CLASSES = len(CLASSES_7)

#: Object counts and class-specific depth ranges (metres) of the demo.
DEMO_LAYOUT = Layout(
    counts=dict(pole=(3, 7), light=(1, 4), sign=(2, 5), tree=(2, 6),
                person=(4, 9), rider=(0, 3), car=(3, 7), bus=(0, 2),
                motorcycle=(0, 2), bicycle=(0, 3)),
    depths=dict(person=(4.0, 12.0), rider=(5.0, 14.0), bicycle=(5.0, 14.0),
                car=(8.0, 30.0), bus=(12.0, 35.0), motorcycle=(8.0, 25.0),
                pole=(8.0, 25.0), light=(8.0, 25.0), sign=(8.0, 25.0),
                tree=(20.0, 60.0)),
    facade_classes=(BUILDING, BUILDING, BUILDING, WALL))

#: Target-only look changes {class: looks like} (internal ids).
TARGET_MIMIC = {SKY: ROAD, VEGETATION: BUILDING, PERSON: CAR, RIDER: CAR}


@dataclass(frozen=True)
class DemoDataSpec:
    """Sizes and shift of the demo data.

    Attributes:
        size: Image ``(W, H)`` of both domains.
        num_source: Labelled source (toy SYNTHIA) images.
        num_target: Unlabelled target-train images (toy Cityscapes style).
        num_val: Labelled target validation images.
        num_source_val: Held-out labelled source images (convergence check).
        mimic_strength: Colour blend of :data:`TARGET_MIMIC` in ``[0, 1]``.
        seed: Data seed (the data is the same for every training seed).
    """
    size: Tuple[int, int] = (160, 96)
    num_source: int = 100
    num_target: int = 100
    num_val: int = 100
    num_source_val: int = 50
    mimic_strength: float = 0.7
    seed: int = 0


def _camera(size: Tuple[int, int], rng: np.random.Generator) -> Camera:
    """The car-mounted camera of both domains."""
    w, h = size
    return Camera(w, h, w * rng.uniform(1.0, 1.2), h * rng.uniform(0.40, 0.48),
                  rng.uniform(1.2, 1.6), rng.uniform(-1.5, 1.5))


def make_demo_sample(domain: str, size: Tuple[int, int], seed: int,
                     index: int, mimic_strength: float = 0.7):
    """One demo sample: ``(rgb (H, W, 3) uint8, 7-class label (H, W) uint8,
    inverse depth (H, W) float32)``.

    ``domain`` is ``'source'`` (toy SYNTHIA look), ``'target'``,
    ``'val'`` (toy Cityscapes look with :data:`TARGET_MIMIC`) or
    ``'source_val'``. The inverse depth is SYNTHIA's ``65536 / (cm + 1)``
    (sky 1.0), as the real source loader decodes it.
    """
    ids = dict(source=0, target=1, val=2, source_val=3)
    if domain not in ids:
        raise ValueError(f'demo data: domain must be one of {sorted(ids)}, '
                         f'got {domain!r}')
    rng = np.random.default_rng([seed, 7, ids[domain], index])
    scene = render_scene(_camera(size, rng), rng, layout=DEMO_LAYOUT)
    if domain.startswith('source'):
        rgb = render_image(scene, 'synthia', rng)
    else:
        rgb = render_image(scene, 'cityscapes', rng, TARGET_MIMIC,
                           mimic_strength)
    inv = decode_synthia_depth(depth_to_synthia_png(scene.depth))
    return rgb, TO_7[scene.labels], inv


def class_weights(labels: np.ndarray) -> list:
    """CE class weights ``(median f / f_c) ** 0.5`` of the source label
    frequencies ``f`` (the reference weighs its CE by SYNTHIA's class
    statistics; these are the toy source's), normalised to mean 1."""
    freq = np.bincount(labels[labels != 255].ravel(),
                       minlength=NUM_CLASSES)[:NUM_CLASSES].astype(float)
    freq = np.maximum(freq / freq.sum(), 1e-6)
    w = np.sqrt(np.median(freq) / freq)
    return [float(v) for v in w / w.mean()]


def make_demo_data(spec: DemoDataSpec) -> Dict[str, Dict[str, np.ndarray]]:
    """All splits: ``{split: dict(img (N, H, W, 3), label (N, H, W),
    depth (N, H, W))}``."""
    out = {}
    for split, n in (('source', spec.num_source),
                     ('target', spec.num_target), ('val', spec.num_val),
                     ('source_val', spec.num_source_val)):
        items = [make_demo_sample(split, spec.size, spec.seed, i,
                                  spec.mimic_strength) for i in range(n)]
        out[split] = dict(
            img=np.stack([i[0] for i in items]),
            label=np.stack([i[1] for i in items]),
            depth=np.stack([i[2] for i in items]))
    return out
