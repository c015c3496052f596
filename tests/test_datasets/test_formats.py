"""Dataset file formats (datasets/formats/): the density-map folder grid."""
import json

import numpy as np
from PIL import Image

from mmseg_dda.datasets.formats import density_maps_grid


def test_density_maps_grid_from_files_and_manifest(tmp_path):
    assert density_maps_grid(str(tmp_path / 'missing')) is None
    npy = tmp_path / 'npy'
    npy.mkdir()
    np.save(npy / '0000000.npy', np.zeros((3, 7, 9), np.float32))
    assert density_maps_grid(str(npy)) == (7, 9)
    tif = tmp_path / 'tif'
    tif.mkdir()
    Image.fromarray(np.zeros((5, 11), np.float32), mode='F').save(
        tif / '0000000-0.tiff')
    assert density_maps_grid(str(tif)) == (5, 11)
    assert density_maps_grid(str(tif), sample=str(tif / '0000000')) == (5, 11)
    # A manifest (STEP 1) wins over peeking at a file.
    (npy / 'manifest.json').write_text(json.dumps(
        dict(kind='source_density_maps', inputs=dict(grid_hw=[2, 3]))))
    assert density_maps_grid(str(npy)) == (2, 3)
