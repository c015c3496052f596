"""``tools/train.py`` runs 2 iterations + validation of each stage-1 config.

Each of the five shipped stage-1 configs is trained through the real entry
point (its ``main``, in the test process) on toy data written in the real
SYNTHIA / Cityscapes / Mapillary formats, with only these overrides
(``--cfg-options``):

* data roots and split lists point at the toy tree, no dataloader workers;
* the network keeps its bottleneck layout but is shallow and narrow
  (ResNet-50 depth, width 4, heads 16/8 channels, discriminator 4
  channels), without ImageNet weights;
* the input size is 1/8 of the config's, (160, 95) instead of (1280, 760)
  and (80, 40) instead of (640, 320), by rewriting the ``scale`` of every
  ``ResizeWithPad`` of the config's own pipelines (keep_ratio and
  scale_label stay as configured).

Choice of GMM: the config's own reference set (``c16`` / ``c7`` /
``c7small``) is kept and evaluated on the reduced feature grid (13x21 or
6x11), so the real parameters go through the pdf, the density targets and
the density maps written by STEP 1 (``tools/gen_density_maps.py --grid``).
At the real input size one iteration took ~7-10 s on the 2-core test
machine (C x 760 x 1280 softmax/entropy/upsampling), too slow for five
configs; the grid consistency of the real sizes (96x161, 41x81) is checked
statically in ``test_config_values.py``.
"""
import mmseg_dda  # noqa: F401

import math

import pytest
from mmengine.config import Config

from _helpers import (NARROW_RESNET_OPTIONS, REPO, TWO_ITERATIONS_OPTIONS,
                      load_tool, log_lines, make_toy_tree, parse_metrics,
                      resize_options, toy_data_options)
# train.py's main() in this process, with its console output.
from _helpers import run_tool_inprocess as run_tool

from mmseg_dda.datasets.transforms.density import feature_grid_size

STAGE1 = {
    # name: (LR of D, evaluation resolution of the toy val set)
    'syn2city_16cls': (1e-3, 'native'),
    'syn2city_7cls': (1e-3, 'native'),
    'syn2city_7cls_small': (1e-3, 'native'),
    'syn2map_7cls': (1e-4, 'input'),
    'syn2map_7cls_small': (1e-4, 'input'),
}
LOSS_KEYS = ('src.loss_seg', 'src.loss_depth', 'src.loss_density',
             'tgt.loss_adv', 'tgt.loss_density', 'disc.loss_src',
             'disc.loss_tgt')
SHRINK = 8


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    return make_toy_tree(tmp_path_factory.mktemp('stage1_toy'))


@pytest.mark.parametrize('name', sorted(STAGE1))
def test_stage1_config_trains_two_iterations(name, toy, tmp_path):
    lr_d, eval_res = STAGE1[name]
    path = str(REPO / 'configs' / 'dda' / f'{name}.py')
    cfg = Config.fromfile(path)
    full_w, full_h = cfg.input_scale
    scale = (full_w // SHRINK, full_h // SHRINK)
    grid = feature_grid_size((scale[1], scale[0]))
    data_opts = toy_data_options(cfg, toy)

    # STEP 1 with the config's own GMM set on the reduced grid, written to
    # the config's density_map_dir under the toy SYNTHIA root.
    gmm_set = cfg.model.density.params
    load_tool('gen_density_maps').main([
        path, '--gmm', gmm_set, '--grid', str(grid[0]), str(grid[1]),
        '--cfg-options', *data_opts[:2]
    ])

    out = run_tool('train.py', [
        path, '--work-dir', tmp_path / 'work', '--cfg-options', *data_opts,
        *resize_options(cfg, scale), *NARROW_RESNET_OPTIONS,
        *TWO_ITERATIONS_OPTIONS
    ]).stdout

    # Both optimisers start at their configured LRs (PolyLR at i = 0) ...
    (first, ) = log_lines(out, 'Iter(train) [1/2]')
    assert 'segmentor.lr: 2.5000e-04' in first
    assert f'discriminator.lr: {lr_d:.4e}' in first
    # ... and every DDA loss is logged and finite.
    (second, ) = log_lines(out, 'Iter(train) [2/2]')
    for key in LOSS_KEYS:
        value = float(second.split(f' {key}: ')[1].split()[0])
        assert math.isfinite(value), (key, second)
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()

    # Evaluation protocol: Cityscapes at the native label size (toy GT
    # 64x128), Mapillary at the padded input size (reference, §9).
    metrics = parse_metrics(out)
    res = ('64x128' if eval_res == 'native' else f'{scale[1]}x{scale[0]}')
    assert f'3 images evaluated at {res} (3 images)' in out
    assert ('mIoU*' in metrics) == (cfg.num_classes == 16)
    protocol = cfg.val_evaluator.protocol
    assert f'protocol: {protocol};' in out
