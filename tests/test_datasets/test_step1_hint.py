"""Missing source density maps name STEP 1 and the expected folder."""
import mmseg_dda  # noqa: F401

import os

import pytest

from mmseg_dda.datasets import SynthiaDataset


@pytest.mark.parametrize('layout', ['npy', 'tiff'])
def test_missing_density_folder_and_file(toy_data_root, tmp_path, layout):
    root = toy_data_root['synthia']
    folder = os.path.join(root, 'source_density_maps', f'none_{layout}')
    with pytest.raises(FileNotFoundError) as err:
        SynthiaDataset(data_root=root, with_density_maps=True,
                       density_map_layout=layout,
                       density_map_dir=f'source_density_maps/none_{layout}',
                       pipeline=[])
    msg = str(err.value)
    assert 'density map folder not found' in msg
    assert ('The source density maps are written by STEP 1: run '
            'tools/gen_density_maps.py CONFIG (expected folder '
            f'{folder}/') in msg
    # An existing but incomplete folder: the first missing file, same hint.
    os.makedirs(folder)
    try:
        with pytest.raises(FileNotFoundError,
                           match='has no density map: expected .*'
                           r'\nThe source density maps are written by '
                           'STEP 1'):
            SynthiaDataset(
                data_root=root, with_density_maps=True,
                density_map_layout=layout,
                density_map_dir=f'source_density_maps/none_{layout}',
                pipeline=[])
    finally:
        os.rmdir(folder)
