"""The density feature grid is read from the model (density/grid.py)."""
import mmseg_dda  # noqa: F401
import json
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmseg_dda.datasets.transforms.density import feature_grid_size
from mmseg_dda.density import load_gmm_params
from mmseg_dda.density.grid import (GridMismatchError, check_grids,
                                    config_feature_grid, config_input_hw,
                                    density_maps_grid, model_feature_grid,
                                    tool_feature_grid)

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'dda'


def _cfg(name):
    return Config.fromfile(str(CONFIGS / f'{name}.py'))


def test_deeplabv2_grid_from_model_matches_its_arithmetic():
    """The reference grids (96x161, 41x81) and an odd size come out of the
    real ResNet-101 DeepLab-v2 model, not out of a table."""
    model = _cfg('syn2city_16cls').model
    for hw in [(760, 1280), (320, 640), (57, 96), (95, 160)]:
        assert model_feature_grid(model, hw) == feature_grid_size(hw), hw
    assert model_feature_grid(model, (760, 1280)) == (96, 161)


@pytest.mark.parametrize('name, grid', [
    ('syn2city_16cls', (96, 161)),
    ('syn2city_7cls_small', (41, 81)),
    ('syn2city_16cls_mit-b5', (190, 320)),  # stride 4: (760+6-7)//4+1
    ('syn2city_16cls_mit-b5_selftrain', (190, 320)),
    ('syn2city_16cls_r101v1c', (95, 160)),  # stride 8, floor pooling
])
def test_config_grid_at_its_input_size(name, grid):
    assert config_feature_grid(_cfg(name)) == grid


def test_heads_on_another_grid_are_refused():
    cfg = _cfg('syn2city_16cls_mit-b5')
    seg = cfg.model.segmentor
    seg.backbone.update(embed_dims=4, num_layers=[1, 1, 1, 1])
    seg.decode_head.in_channels = [4, 8, 20, 32]
    seg.density_head.in_channels = [4, 8, 20, 32]
    # The depth head on the last stage only: stride 32, not 4.
    seg.depth_head.update(in_channels=32, in_index=3, input_transform=None)
    with pytest.raises(GridMismatchError,
                       match=r'depth head predicts on a 2x4 grid but the '
                       r'segmentation head on 16x32'):
        model_feature_grid(cfg.model, (64, 128))


def test_input_size_comes_from_the_source_resize():
    assert config_input_hw(_cfg('syn2city_16cls_mit-b5')) == (760, 1280)
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        source=dict(pipeline=[dict(type='LoadImageFromFile')])))))
    with pytest.raises(ValueError, match='no fixed-size resize'):
        config_input_hw(cfg)


def test_check_grids_names_all_three():
    check_grids((4, 5), (4, 5), (4, 5))
    check_grids((4, 5), None, None)  # unknown parts are not compared
    with pytest.raises(GridMismatchError) as e:
        check_grids((190, 320), (96, 161), (95, 160),
                    model_desc='model M', gmm_desc='GMM set G',
                    maps_desc='maps in D')
    msg = str(e.value)
    assert 'maps in D: 95x160' in msg and 'GMM set G: 96x161' in msg
    assert 'model M: 190x320' in msg and 'tools/fit_gmm.py' in msg


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


def test_tool_grid_order_and_gmm_check():
    cfg = _cfg('syn2city_16cls')
    c16 = load_gmm_params('c16')
    assert tool_feature_grid(cfg, [5, 6], c16) == ((5, 6), 'given by --grid')
    grid, desc = tool_feature_grid(cfg, None, c16)
    assert grid == (96, 161) and 'model output at input 760x1280' in desc
    with pytest.raises(GridMismatchError, match=r"GMM set 'c16' .*96x161.*"
                       r'model \(config, input 380x640\): 48x81'):
        tool_feature_grid(cfg, None, c16, input_hw=(380, 640))
    # Configs without a segmentor: the GMM set's own grid.
    bare = Config(dict(model=dict(density=dict(params='c16'))))
    assert tool_feature_grid(bare, None, c16)[0] == (96, 161)
    with pytest.raises(ValueError, match='pass --grid'):
        tool_feature_grid(bare, None, None)
    with pytest.raises(ValueError, match='two positive ints'):
        tool_feature_grid(cfg, [0, 3])


def test_plain_encoder_decoder_grid():
    """A plain MMSeg segmentor (no depth/density heads) has a grid too."""
    cfg = _cfg('syn2city_16cls_mit-b5').model.segmentor.to_dict()
    cfg.update(type='EncoderDecoder')
    for key in ('depth_head', 'density_head'):
        cfg.pop(key)
    assert model_feature_grid(cfg, (320, 640)) == (80, 160)
