"""DDA on SegFormer's MiT: fit the prior for the model's grid, STEP 1, train.

``configs/dda/syn2city_16cls_mit-b5.py`` goes through the real tools on toy
data: ``tools/fit_gmm.py`` reads the feature grid from the model (48x80 at the
toy input 320x190, MiT's stride 4), ``tools/gen_density_maps.py`` writes the
maps on that grid and ``tools/train.py`` trains two iterations. The network
keeps MiT-B5's layout (four stages, heads on all four, SegformerHead) with
tiny widths and one block per stage (``--cfg-options``); MiT-B5 at real size
is too slow for a CPU test. The toy config ``configs/demo/
toy_syn2city_dda_mit.py`` trains too, and a model whose grid differs from
the maps' and the GMM's is refused at start.
"""
import mmseg_dda  # noqa: F401

import json
import math
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from _helpers import (REPO, load_tool, log_lines, make_toy_tree, resize_options,
                      toy_data_options)
# train.py's main() in this process, with its console output.
from _helpers import run_tool_inprocess as run_tool

from mmseg_dda.density import load_gmm_params
from mmseg_dda.density.grid import GridMismatchError

MIT_CFG = str(REPO / 'configs' / 'dda' / 'syn2city_16cls_mit-b5.py')
TOY_CFG = str(REPO / 'configs' / 'demo' / 'toy_syn2city_dda_mit.py')
SCALE = (320, 190)  # (W, H): the toy input
GRID = (48, 80)  # ((190 + 6 - 7) // 4 + 1, (320 + 6 - 7) // 4 + 1)
TINY = [4 * n for n in (1, 2, 5, 8)]  # embed_dims 4 x MiT's heads per stage
NARROW = [
    'model.segmentor.backbone.init_cfg=None',
    'model.segmentor.backbone.embed_dims=4',
    'model.segmentor.backbone.num_layers=[1,1,1,1]',
    f'model.segmentor.decode_head.in_channels={TINY}'.replace(' ', ''),
    'model.segmentor.decode_head.channels=16',
    *[f'model.segmentor.{h}_head.{k}' for h in ('depth', 'density')
      for k in (f'in_channels={TINY}'.replace(' ', ''), 'channels=16',
                'proj_channels=8')],
    'model.discriminator.channels=[4,4,4,4]',
]
SCHEDULE = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
]
LOSS_KEYS = ('src.loss_seg', 'src.loss_depth', 'src.loss_density',
             'tgt.loss_adv', 'tgt.loss_density', 'disc.loss_src',
             'disc.loss_tgt')


def _options(cfg_path: str, toy: dict, maps_dir: str) -> list:
    """Toy data roots, no workers, the toy input size, the maps folder."""
    cfg = Config.fromfile(cfg_path)
    return toy_data_options(cfg, toy) + resize_options(cfg, SCALE) + [
        f'train_dataloader.dataset.source.density_map_dir={maps_dir}']


@pytest.fixture(scope='module')
def mit(tmp_path_factory):
    """Toy tree, the GMM fitted by tools/fit_gmm.py on the MiT-B5 config's
    grid, and the STEP-1 maps written for it."""
    tmp = tmp_path_factory.mktemp('mit')
    toy = make_toy_tree(tmp / 'data')
    opts = _options(MIT_CFG, toy, 'source_density_maps/mit')
    gmm = str(tmp / 'gmm_mit.json')
    assert load_tool('fit_gmm').main(
        [MIT_CFG, '--out', gmm, '--samples-per-class', '2000',
         '--cfg-options', *opts, *NARROW]) == 0
    assert load_tool('gen_density_maps').main(
        [MIT_CFG, '--cfg-options', *opts, *NARROW,
         f'model.density.params={gmm}']) == 0
    return dict(toy=toy, opts=opts, gmm=gmm, tmp=tmp)


def test_fit_gmm_reads_the_grid_from_the_model(mit):
    params = load_gmm_params(mit['gmm'])
    assert params.grid_hw == GRID and params.num_classes == 16
    with open(mit['gmm'], encoding='utf-8') as f:
        source = json.load(f)['_meta']['source']
    assert source['grid_hw'] == list(GRID)
    assert source['grid_from'] == 'model output at input 190x320'
    # STEP 1 wrote the maps on the same grid.
    folder = Path(mit['toy']['synthia']) / 'source_density_maps' / 'mit'
    maps = sorted(folder.glob('*.npy'))
    assert len(maps) == 6
    assert np.load(maps[0]).shape == (16, *GRID)


def test_mit_b5_config_trains_two_iterations(mit, tmp_path):
    out = run_tool('train.py', [
        MIT_CFG, '--work-dir', tmp_path / 'work', '--cfg-options',
        *mit['opts'], *NARROW, *SCHEDULE, f'model.density.params={mit["gmm"]}'
    ]).stdout
    assert f'DensityGridCheckHook: feature grid {GRID[0]}x{GRID[1]}' in out
    (first, ) = log_lines(out, 'Iter(train) [1/2]')
    # AdamW warm-up starts at 1e-6 x 6e-5; D keeps DDA's Adam 1e-3.
    assert 'segmentor.lr: 6.0000e-11' in first
    assert 'discriminator.lr: 1.0000e-03' in first
    (second, ) = log_lines(out, 'Iter(train) [2/2]')
    for key in LOSS_KEYS:
        value = float(second.split(f' {key}: ')[1].split()[0])
        assert math.isfinite(value), (key, second)
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()


def test_toy_mit_config_trains_two_iterations(mit, tmp_path):
    opts = _options(TOY_CFG, mit['toy'], 'source_density_maps/mit')
    out = run_tool('train.py', [
        TOY_CFG, '--work-dir', tmp_path / 'work', '--cfg-options', *opts,
        *SCHEDULE, f'model.density.params={mit["gmm"]}'
    ]).stdout
    assert f'DensityGridCheckHook: feature grid {GRID[0]}x{GRID[1]}' in out
    (second, ) = log_lines(out, 'Iter(train) [2/2]')
    for key in LOSS_KEYS:
        value = float(second.split(f' {key}: ')[1].split()[0])
        assert math.isfinite(value), (key, second)


def test_model_on_another_grid_is_refused_at_start(mit, tmp_path):
    """Maps and GMM agree (48x80, checked by their manifest), but the source
    input is halved, so the model predicts on 24x40: DensityGridCheckHook
    stops the run before the first iteration, naming all three grids."""
    src = 'train_dataloader.dataset.source.pipeline.'
    opts = [o if not (o.startswith(src) and '.scale=' in o) else
            o.split('=')[0] + f'=({SCALE[0] // 2},{SCALE[1] // 2})'
            for o in mit['opts']]
    assert opts != mit['opts']
    with pytest.raises(GridMismatchError) as e:
        load_tool('train').main([
            MIT_CFG, '--work-dir', str(tmp_path / 'work'), '--cfg-options',
            *opts, *NARROW, *SCHEDULE, f'model.density.params={mit["gmm"]}'
        ])
    msg = str(e.value)
    assert 'source density maps in ' in msg and 'mit: 48x80' in msg
    assert "GMM set 'fitted': 48x80" in msg
    assert 'model (MixVisionTransformer + SegformerHead at input 95x160): ' \
        '24x40' in msg
    assert not (tmp_path / 'work' / 'iter_1.pth').exists()


def test_step1_refuses_a_gmm_of_another_grid(mit, tmp_path):
    """STEP 1 on the MiT model's grid with c16 (fitted at 96x161)."""
    with pytest.raises(GridMismatchError,
                       match=r"GMM set 'c16' \(.*\): 96x161; model \(config, "
                       r'input 190x320\): 48x80'):
        load_tool('gen_density_maps').main(
            [MIT_CFG, '--gmm', 'c16', '--out', str(tmp_path / 'maps'),
             '--cfg-options', *mit['opts'], *NARROW])
    assert not (tmp_path / 'maps').exists()
