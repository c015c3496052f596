"""File formats of the datasets: reading, writing and validating the files.

One home for every file the datasets and the density tools read:

* :mod:`.labels`: label images (palette, 8/16-bit, SYNTHIA's multi-channel
  ``GT/LABELS``) as raw ids, and their mapping to train ids;
* :mod:`.synthia`: SYNTHIA depth PNGs (the only decoder of ``65536/(raw+1)``)
  and the label + inverse depth of one SYNTHIA image;
* :mod:`.density_maps`: the source density maps of STEP 1 (``npy`` and the
  reference ``tiff`` layout).

Every reader is also a validator: it raises an error that names the file
and the problem (``OSError`` for a missing, truncated or undecodable file,
``ValueError`` for a file of the wrong kind or with bad values).
"""
from .density_maps import (check_density_values, density_maps_grid,
                           load_density_maps, outputs_complete,
                           save_density_maps)
from .labels import SINGLE_CHANNEL_MODES, map_label, read_label_image
from .synthia import (SYNTHIA_DEPTH_DECODING, decode_synthia_depth,
                      load_source_label_depth, load_synthia_inverse_depth,
                      read_synthia_depth)

__all__ = [
    'SINGLE_CHANNEL_MODES', 'read_label_image', 'map_label',
    'SYNTHIA_DEPTH_DECODING', 'read_synthia_depth', 'decode_synthia_depth',
    'load_synthia_inverse_depth', 'load_source_label_depth',
    'load_density_maps', 'save_density_maps', 'check_density_values',
    'outputs_complete', 'density_maps_grid'
]
