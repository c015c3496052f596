"""The one fake-SYNTHIA writer of the tests (``RGB/``, ``parsed_LABELS/``,
``Depth/`` in the dataset's own formats, docs/method.md §7.2-§7.3).

Two scenes, for the two kinds of expectation:

* ``'bands'``: class c (7-class train ids) fills vertical band c at inverse
  depth about ``10 * (c + 1)``, so a fitted GMM has known means;
* ``'random'``: random colours, raw ids (sky at the far plane) and depths,
  so density maps computed by the code under test can be compared with
  maps computed independently from the same files.
"""
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from PIL import Image

#: One raw SYNTHIA id per 7-class train id (docs/method.md §7.2).
RAW_OF_7 = [3, 2, 7, 6, 1, 10, 8]
#: Raw ids of the ``'random'`` scene (sky = 1 gets depth 65535).
RANDOM_RAW_IDS = [0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 22]


def write_fake_synthia(root: Path, n: int = 3,
                       size: Sequence[int] = (40, 72),
                       scene: str = 'bands', seed: int = 0) -> Path:
    """Write ``n`` SYNTHIA images ``0000000.png ...`` under ``root``.

    Args:
        root (Path): The SYNTHIA root to create.
        n (int): Number of images.
        size (Sequence[int]): ``(H, W)``.
        scene (str): ``'bands'`` or ``'random'`` (module doc).
        seed (int): Seed of the noise.

    Returns:
        Path: ``root``.
    """
    if scene not in ('bands', 'random'):
        raise ValueError(f'unknown scene {scene!r}')
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in size)
    for sub in ('RGB', 'parsed_LABELS', 'Depth'):
        (root / sub).mkdir(parents=True)
    band = np.tile(np.arange(w) * 7 // w, (h, 1))
    for i in range(n):
        name = f'{i:07d}.png'
        if scene == 'bands':
            rgb = np.zeros((h, w, 3), np.uint8)
            raw = np.array(RAW_OF_7, np.uint8)[band]
            inv = 10. * (band + 1) + rng.normal(0, 1, (h, w))
            depth = np.round(65536 / inv - 1).astype(np.uint16)
        else:
            rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            raw = rng.choice(RANDOM_RAW_IDS, size=(h, w)).astype(np.uint8)
            depth = rng.integers(0, 3000, (h, w)).astype(np.uint16)
            depth[raw == 1] = 65535  # sky
        Image.fromarray(rgb).save(root / 'RGB' / name)
        Image.fromarray(raw).save(root / 'parsed_LABELS' / name)
        cv2.imwrite(str(root / 'Depth' / name), depth)
    return root
