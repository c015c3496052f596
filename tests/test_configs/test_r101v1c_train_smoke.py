"""``configs/dda/syn2city_16cls_r101v1c.py`` (MMSeg's ResNetV1c) trains.

Toy data at the toy input 320x190; the network keeps ResNet-V1c's deep stem
and bottleneck layout at width 4 but only ResNet-50's depth (layer3's 23
blocks cost most of the test's time and add nothing to the grid or the
wiring), and starts from random weights (``--cfg-options``). The grid is
read from the model (24x40: stride 8 with floor pooling); the prior is the
synthetic toy set of ``_helpers.write_toy_gmm`` on that grid (six toy images
are too few to fit five components per class on it), STEP 1 writes the maps,
and ``tools/train.py`` runs two iterations.
"""
import mmseg_dda  # noqa: F401

import math

from mmengine.config import Config

from _helpers import (NARROW_RESNET_OPTIONS, REPO, TWO_ITERATIONS_OPTIONS,
                      load_tool, log_lines, make_toy_tree, resize_options,
                      toy_data_options, write_toy_gmm)
# train.py's main() in this process, with its console output.
from _helpers import run_tool_inprocess as run_tool

from mmseg_dda.apis.model_grid import config_feature_grid

CFG = str(REPO / 'configs' / 'dda' / 'syn2city_16cls_r101v1c.py')
SCALE = (320, 190)
NARROW = NARROW_RESNET_OPTIONS + TWO_ITERATIONS_OPTIONS


def _options(toy):
    cfg = Config.fromfile(CFG)
    return toy_data_options(cfg, toy) + resize_options(cfg, SCALE)


def test_r101v1c_config_trains_two_iterations(tmp_path):
    toy = make_toy_tree(tmp_path / 'data')
    opts = _options(toy)
    cfg = Config.fromfile(CFG)
    grid = config_feature_grid(cfg, (SCALE[1], SCALE[0]))
    assert grid == (24, 40)
    gmm = write_toy_gmm(tmp_path / 'gmm_v1c.json', 16, grid)
    tool = load_tool('gen_density_maps')
    assert tool.main([CFG, '--cfg-options', *opts, *NARROW,
                      f'model.density.params={gmm}']) == 0
    out = run_tool('train.py', [
        CFG, '--work-dir', tmp_path / 'work', '--cfg-options', *opts,
        *NARROW, f'model.density.params={gmm}'
    ]).stdout
    assert 'DensityGridCheckHook: feature grid 24x40' in out
    (first, ) = log_lines(out, 'Iter(train) [1/2]')
    assert 'segmentor.lr: 2.5000e-04' in first  # DeepLab-v2's SGD
    (second, ) = log_lines(out, 'Iter(train) [2/2]')
    for key in ('src.loss_seg', 'src.loss_density', 'tgt.loss_adv',
                'disc.loss_tgt'):
        value = float(second.split(f' {key}: ')[1].split()[0])
        assert math.isfinite(value), (key, second)
