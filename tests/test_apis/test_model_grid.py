"""The feature grid of a config's model, read from the model
(apis/model_grid.py), and the grid the tools use (apis/step_inputs.py)."""
import mmseg_dda  # noqa: F401
from pathlib import Path

import pytest
from mmengine.config import Config

from mmseg_dda.apis.model_grid import (config_feature_grid, config_input_hw,
                                       model_feature_grid)
from mmseg_dda.apis.step_inputs import tool_feature_grid
from mmseg_dda.datasets.transforms.density import feature_grid_size
from mmseg_dda.density import load_gmm_params
from mmseg_dda.density.grid import GridMismatchError

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
