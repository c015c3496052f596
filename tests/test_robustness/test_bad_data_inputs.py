"""Bad-input catalogue, data side (docs/bad_inputs.md rows 16-): files the
pipeline tools read, and outputs they reuse. Each test checks the message a
user sees; each case was accepted silently before."""
import json
import logging
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.datasets.class_mappings import class_names
from mmseg_dda.datasets import (CityscapesUDADataset, MapillaryUDADataset,
                                SynthiaDataset, feature_grid_size)
from mmseg_dda.datasets.formats import load_density_maps
from mmseg_dda.density import load_gmm_params
from mmseg_dda.pseudo_labels import load_pseudo_label
from robustness_helpers import write_gmm_json

from _helpers import copy_tree, load_tool
from _tiny_models import save_untrained

LOAD = dict(type='LoadImageFromFile', imdecode_backend='pillow')
GRID = feature_grid_size((56, 96))  # of the tiny config's input


def _files(folder: Path):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _warnings(fn):
    """Run ``fn``; return its result and the current logger's warnings."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        out = fn()
    finally:
        logger.removeHandler(handler)
    return out, [r.getMessage() for r in records
                 if r.levelno == logging.WARNING]


# -- STEP 1: stale and invalid density maps ----------------------------------
def test_density_maps_rerun_with_other_gmm(tiny_dda_config, tmp_path,
                                           capsys):
    tool = load_tool('gen_density_maps')
    out = tmp_path / 'maps'
    assert tool.main([str(tiny_dda_config), '--out', str(out)]) == 0
    first = _files(out)
    other = write_gmm_json(tmp_path / 'other_gmm.json', 16, GRID, seed=7)
    with pytest.raises(SystemExit,
                       match=rf'^error: {out} was made from other inputs '
                       rf'\({out}/manifest.json\): gmm_params_sha256: old '
                       r'"[0-9a-f]{64}" vs new "[0-9a-f]{64}"\. Its files '
                       r'would be reused as if this run had made them\. '
                       r'Rerun with --overwrite to delete them and start '
                       r'afresh, or choose another output folder\.$'):
        tool.main([str(tiny_dda_config), '--out', str(out), '--gmm',
                   str(other)])
    assert _files(out) == first  # nothing touched
    # --overwrite starts afresh: the maps of the other set, as a new folder.
    assert tool.main([str(tiny_dda_config), '--out', str(out), '--gmm',
                      str(other), '--overwrite']) == 0
    fresh = tmp_path / 'fresh'
    assert tool.main([str(tiny_dda_config), '--out', str(fresh), '--gmm',
                      str(other)]) == 0
    assert _files(out) == _files(fresh) != first


def test_density_maps_rerun_with_other_grid_and_layout(tiny_dda_config,
                                                       tmp_path):
    tool = load_tool('gen_density_maps')
    out = tmp_path / 'maps'
    assert tool.main([str(tiny_dda_config), '--out', str(out)]) == 0
    with pytest.raises(SystemExit,
                       match=r'from other inputs .*: grid_hw: old '
                       rf'\[{GRID[0]}, {GRID[1]}\] vs new \[6, 10\]; layout: '
                       r'old "npy" vs new "tiff"\.'):
        tool.main([str(tiny_dda_config), '--out', str(out), '--grid', '6',
                   '10', '--layout', 'tiff'])


def test_density_maps_folder_without_manifest(tiny_dda_config, tmp_path):
    out = tmp_path / 'maps'
    out.mkdir()
    np.save(out / '0000000.npy', np.zeros((16, ) + GRID, np.float32))
    with pytest.raises(SystemExit,
                       match=rf'^error: {out} holds 1 output files \(e\.g\. '
                       r'0000000\.npy\) but no manifest\.json, so what made '
                       r'them is unknown\. .* --overwrite'):
        load_tool('gen_density_maps').main([str(tiny_dda_config), '--out',
                                            str(out)])


def test_density_map_with_nan_is_recomputed_on_resume(tiny_dda_config,
                                                      tmp_path, capsys):
    tool = load_tool('gen_density_maps')
    out = tmp_path / 'maps'
    assert tool.main([str(tiny_dda_config), '--out', str(out)]) == 0
    expected = _files(out)
    bad = np.load(out / '0000002.npy')
    bad[3, 1, 2] = np.nan
    np.save(out / '0000002.npy', bad)  # right shape and dtype, NaN inside
    capsys.readouterr()
    assert tool.main([str(tiny_dda_config), '--out', str(out)]) == 0
    log = capsys.readouterr().out
    assert ('density maps: 1 existing maps are incomplete or hold '
            "NaN/inf/negative values and are recomputed, e.g. ['0000002']"
            in log)
    assert 'density maps: 6 images, 5 already complete, 1 to compute' in log
    assert _files(out) == expected


@pytest.mark.parametrize('layout', ['npy', 'tiff'])
def test_density_map_with_nan_is_refused_when_read(tmp_path, layout):
    from mmseg_dda.datasets.formats import save_density_maps
    maps = np.ones((16, ) + GRID, np.float32)
    maps[3, 0, 0] = np.inf
    save_density_maps(maps, str(tmp_path), '0000000', layout)
    path = tmp_path / ('0000000.npy' if layout == 'npy' else '0000000')
    with pytest.raises(ValueError,
                       match=rf'^{path}: 1 density-map cells are NaN or inf '
                       r'\(expected finite values >= 0\); regenerate the '
                       r'maps \(tools/gen_density_maps\.py\)$'):
        load_density_maps(str(path), 16)
    # LoadSourceDensityMaps (training) reads through the same check.
    from mmseg_dda.datasets.transforms import LoadSourceDensityMaps
    with pytest.raises(ValueError, match='density-map cells are NaN or inf'):
        LoadSourceDensityMaps()(dict(density_map_path=str(path),
                                     num_classes=16))


# -- consumers: training reads maps / pseudo-labels made for other settings --
def _maps_config(tmp_path: Path, toy: dict, gmm: Path) -> Path:
    """The tiny config reading precomputed maps of ``<tmp>/syn``."""
    root = copy_tree(toy['synthia'], tmp_path / 'syn')
    base = tmp_path / 'tiny_dda.py'
    pipeline = [LOAD, dict(type='LoadMappedAnnotations'),
                dict(type='LoadInverseDepth'),
                dict(type='LoadSourceDensityMaps'),
                dict(type='ResizeWithPad', scale=(96, 56), keep_ratio=False),
                dict(type='PackDDAInputs')]
    path = tmp_path / 'maps_cfg.py'
    path.write_text(
        f'_base_ = [{str(base)!r}]\n'
        f'model = dict(density=dict(params={str(gmm)!r}))\n'
        'train_dataloader = dict(dataset=dict(source=dict('
        f'data_root={str(root)!r}, with_density_maps=True, '
        f"density_map_dir='maps', pipeline={pipeline!r})))\n")
    return path


def test_training_refuses_maps_of_another_gmm_set(tiny_dda_config,
                                                  toy_data_root, tmp_path):
    cfg = _maps_config(tmp_path, toy_data_root, tmp_path / 'gmm_tiny.json')
    other = write_gmm_json(tmp_path / 'other_gmm.json', 16, GRID, seed=7)
    maps = tmp_path / 'syn' / 'maps'
    assert load_tool('gen_density_maps').main(
        [str(cfg), '--out', str(maps), '--gmm', str(other)]) == 0
    with pytest.raises(ValueError,
                       match=r"^config maps_cfg\.py \(model\.density\.params="
                       r"'.*/gmm_tiny\.json'\): the density maps in "
                       rf'{maps} were made for other settings \({maps}/'
                       r'manifest\.json, recorded vs this config\): '
                       r'gmm_params_sha256: old "[0-9a-f]{64}" vs new '
                       r'"[0-9a-f]{64}"\. Regenerate them with '
                       r'tools/gen_density_maps\.py --overwrite, or point '
                       r'density_map_dir at maps made for this config\.$'):
        load_tool('train').main([str(cfg), '--work-dir',
                                 str(tmp_path / 'w')])


def _manifest_only(folder: Path, kind: str, **inputs) -> Path:
    """Make ``folder`` holding just a ``manifest.json`` of ``kind`` that
    records ``inputs``."""
    folder.mkdir()
    (folder / 'manifest.json').write_text(json.dumps(dict(kind=kind,
                                                          inputs=inputs)))
    return folder


def test_dataset_refuses_maps_of_another_class_count(toy_data_root,
                                                     tmp_path):
    root = copy_tree(toy_data_root['synthia'], tmp_path / 'syn')
    _manifest_only(root / 'maps', 'source_density_maps', num_classes=7,
                   label_dir=['parsed_LABELS'], layout='npy')
    with pytest.raises(ValueError,
                       match=r'^SynthiaDataset: the density maps in '
                       rf'{root}/maps were made for other settings '
                       rf'\({root}/maps/manifest\.json, recorded vs this '
                       r'config\): num_classes: old 7 vs new 16; '
                       r'label_lut_sha256: old "<not recorded>" vs new '
                       r'"[0-9a-f]{64}"\. Regenerate them'):
        SynthiaDataset(str(root), with_density_maps=True,
                       density_map_dir='maps')


def test_maps_without_manifest_are_used_with_a_warning(toy_data_root,
                                                       tmp_path):
    root = copy_tree(toy_data_root['synthia'], tmp_path / 'syn')
    (root / 'maps').mkdir()
    for i in range(6):
        np.save(root / 'maps' / f'{i:07d}.npy',
                np.zeros((16, ) + GRID, np.float32))
    ds, warnings = _warnings(lambda: SynthiaDataset(
        str(root), with_density_maps=True, density_map_dir='maps'))
    assert len(ds) == 6
    assert warnings == [
        f'SynthiaDataset: {root}/maps has no manifest.json (maps made by the '
        'reference code or an older version of tools/gen_density_maps.py): '
        'their GMM set, grid and class mapping cannot be checked against '
        'this config']


def test_pseudo_labels_for_another_class_count_refused(toy_data_root,
                                                       tmp_path):
    pl = _manifest_only(tmp_path / 'pl', 'pseudo_labels', num_classes=7,
                        format='png', dataset_type='CityscapesUDADataset')
    with pytest.raises(ValueError,
                       match=r'^CityscapesUDADataset: the pseudo-labels in '
                       rf'{pl} were made for other settings \({pl}/manifest'
                       r'\.json, recorded vs this config\): num_classes: old '
                       r'7 vs new 16\. Regenerate them with '
                       r'tools/gen_pseudo_labels\.py --overwrite'):
        CityscapesUDADataset(toy_data_root['cityscapes'], split='train',
                             pseudo_label_dir=str(pl))


# -- STEP 3: stale and invalid pseudo-labels ---------------------------------
@pytest.fixture()
def two_dda_checkpoints(tiny_dda_config, tmp_path):
    """Two checkpoints of the tiny DDA model (other random weights)."""
    cfg = Config.fromfile(str(tiny_dda_config))
    paths = []
    for seed in (0, 1):
        path = tmp_path / f'dda_{seed}.pth'
        save_untrained(cfg.model, path, seed, meta=dict(seed=seed))
        paths.append(str(path))
    return paths


PL_COMMON = ['--num-workers', '0', '--device', 'cpu', '--threshold', '0.01']


def test_pseudo_labels_rerun_with_other_threshold_or_checkpoint(
        tiny_dda_config, two_dda_checkpoints, tmp_path):
    tool = load_tool('gen_pseudo_labels')
    out = tmp_path / 'pl'
    args = [str(tiny_dda_config), two_dda_checkpoints[0], '--out', str(out)]
    assert tool.main(args + PL_COMMON).images == 4
    first = _files(out)
    with pytest.raises(SystemExit,
                       match=rf'^error: {out} was made from other inputs '
                       rf'\({out}/manifest\.json\): threshold: old 0\.01 vs '
                       r'new 0\.5\. Its files would be reused'):
        tool.main(args + PL_COMMON + ['--threshold', '0.5'])
    with pytest.raises(SystemExit,
                       match=r'other inputs .*: weights_sha256: old '
                       r'"[0-9a-f]{64}" vs new "[0-9a-f]{64}"\. '):
        tool.main([str(tiny_dda_config), two_dda_checkpoints[1], '--out',
                   str(out)] + PL_COMMON)
    assert _files(out) == first
    # The same weights in another file (other metadata): a resume.
    copy = tmp_path / 'copy.pth'
    ckpt = torch.load(two_dda_checkpoints[0], weights_only=True)
    ckpt['meta'] = dict(note='saved again')
    torch.save(ckpt, copy)
    assert tool.main([str(tiny_dda_config), str(copy), '--out',
                      str(out)] + PL_COMMON).images == 0
    # --overwrite relabels everything with the new settings.
    from mmseg_dda.utils.provenance import read_manifest
    stats = tool.main(args + PL_COMMON[:-1] + ['0.5', '--overwrite'])
    assert stats.images == 4
    assert read_manifest(str(out))['inputs']['threshold'] == 0.5


def test_invalid_pseudo_label_is_relabelled_on_resume(
        tiny_dda_config, two_dda_checkpoints, tmp_path, capsys):
    tool = load_tool('gen_pseudo_labels')
    out = tmp_path / 'pl'
    args = [str(tiny_dda_config), two_dda_checkpoints[0], '--out',
            str(out)] + PL_COMMON
    tool.main(args)
    expected = _files(out)
    names = sorted(n for n in expected if n.endswith('.png'))
    # A decodable PNG of the wrong size, and one with an id >= C.
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(out / names[0])
    Image.fromarray(np.full((56, 96), 40, np.uint8)).save(out / names[1])
    capsys.readouterr()
    assert tool.main(args).images == 2
    log = capsys.readouterr()
    log = log.out + log.err
    assert ('2 existing pseudo-labels are incomplete or invalid (not a '
            'single-channel uint8 map of the input size with ids < 16 or '
            f'255) and are relabelled, e.g. {names[:2]}') in log
    assert '4 target images, 2 already done, 2 to label (2 of them ' \
        'invalid)' in log
    assert _files(out) == expected


@pytest.mark.parametrize('value', ['1.5', '0', '-0.1', 'nan'])
def test_threshold_outside_unit_interval(tiny_dda_config, two_dda_checkpoints,
                                         tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exc:
        load_tool('gen_pseudo_labels').main(
            [str(tiny_dda_config), two_dda_checkpoints[0], '--threshold', value])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith(
        'error: argument --threshold: threshold must be in (0, 1] (a '
        f'softmax confidence), got {float(value)}')
    assert not (tmp_path / 'pl').exists()


def test_threshold_in_config_outside_unit_interval(tiny_dda_config,
                                                   two_dda_checkpoints,
                                                   tmp_path):
    with pytest.raises(ValueError,
                       match=r'^pseudo_label_cfg\.threshold must be in '
                       r'\(0, 1\] \(a softmax confidence\), got 1\.5$'):
        load_tool('gen_pseudo_labels').main(
            [str(tiny_dda_config), two_dda_checkpoints[0], '--out',
             str(tmp_path / 'pl'), '--device', 'cpu', '--cfg-options',
             'pseudo_label_cfg.threshold=1.5'])


# -- files read by the tools: depth, labels, GMM parameters -----------------
@pytest.mark.parametrize('kind', ['8bit', '3channel'])
def test_depth_png_not_16bit_single_channel(toy_data_root, tmp_path, kind):
    root = copy_tree(toy_data_root['synthia'], tmp_path / 'syn')
    depth = root / 'Depth' / '0000001.png'
    raw = cv2.imread(str(depth), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and raw.ndim == 2
    if kind == '8bit':
        bad, desc = (raw // 256).astype(np.uint8), '1-channel uint8'
    else:
        bad, desc = np.stack([raw] * 3, -1), '3-channel uint16'
    cv2.imwrite(str(depth), bad)
    message = (rf'^Depth file {depth} is {desc}: expected a single-channel '
               r'16-bit PNG of depths in cm \(SYNTHIA Depth/\)$')
    ds = SynthiaDataset(str(root), pipeline=[LOAD,
                                             dict(type='LoadInverseDepth')])
    with pytest.raises(ValueError, match=message):
        ds[1]
    # STEP 1 reports the image as failed and writes no map for it.
    from mmseg_dda.density.generation import generate_density_maps
    from mmseg_dda.apis.step_inputs import source_items
    gmm = write_gmm_json(tmp_path / 'gmm.json', 16, GRID)
    summary = generate_density_maps(
        source_items(SynthiaDataset(str(root))), load_gmm_params(str(gmm)),
        GRID, str(tmp_path / 'maps'), log=lambda s: None)
    assert summary['failed'] == 1
    assert summary['failures'][0][0] == '0000001'
    assert summary['failures'][0][1] == (
        f'ValueError: Depth file {depth} is {desc}: expected a '
        'single-channel 16-bit PNG of depths in cm (SYNTHIA Depth/)')


def _rgb(path: Path) -> None:
    """Replace a label file by a colour (RGB) rendering of it."""
    ids = np.array(Image.open(path))
    Image.fromarray(np.stack([ids, ids * 2, ids * 3], -1)).save(path)


@pytest.mark.parametrize('dataset', ['synthia', 'cityscapes', 'mapillary',
                                     'pseudo-labels'])
def test_colour_label_png(toy_data_root, tmp_path, dataset):
    root = copy_tree(
        toy_data_root[dataset.replace('pseudo-labels', 'cityscapes')],
        tmp_path / dataset)
    pipeline = [LOAD, dict(type='LoadMappedAnnotations')]
    if dataset == 'pseudo-labels':
        pl = tmp_path / 'pl'
        pl.mkdir()
        for img in (root / 'leftImg8bit' / 'train').rglob('*.png'):
            Image.fromarray(np.zeros((64, 128), np.uint8)).save(
                pl / f'{img.name}.png')
        ds = CityscapesUDADataset(str(root), split='train', ann_file='',
                                  pseudo_label_dir=str(pl),
                                  pipeline=pipeline)
        expected = 'a single-channel uint8 pseudo-label of train ids'
    elif dataset == 'synthia':
        ds = SynthiaDataset(str(root), with_depth=False, pipeline=pipeline)
        expected = ('a single-channel PNG of raw SYNTHIA ids '
                    r'\(parsed_LABELS\)')
    elif dataset == 'cityscapes':
        ds = CityscapesUDADataset(str(root), split='val', ann_file='',
                                  pipeline=pipeline)
        expected = (r'a single-channel \*_gtFine_labelIds\.png of Cityscapes '
                    r'labelIds \(not \*_gtFine_color\.png\)')
    else:
        ds = MapillaryUDADataset(str(root), split='validation', ann_file='',
                                 pipeline=pipeline)
        expected = (r'a palette \(mode P\) PNG of Mapillary v1\.2 class '
                    'indices')
    label = Path(ds.get_data_info(0)['seg_map_path'])
    _rgb(label)
    with pytest.raises(ValueError,
                       match=rf"^Label file {label} has PIL mode 'RGB' \(3 "
                       rf'channels, e\.g\. a colour rendering\): expected '
                       rf'{expected}$'):
        ds[0]


def _gmm_file(tmp_path: Path, **change) -> Path:
    path = write_gmm_json(tmp_path / 'gmm.json', 3, GRID)
    data = json.loads(path.read_text())
    for key, fn in change.items():
        data['toy'][key] = fn(np.asarray(data['toy'][key])).tolist()
    path.write_text(json.dumps(data))
    return path


def _zero_class(a):
    a[1] = 0
    return a


def _nonfinite(a):
    a[0, 0, 2] = np.inf
    return a


@pytest.mark.parametrize('change,message', [
    (dict(pi=lambda a: a * 0), 'the mixture weights of class 0 sum to 0, '
     r'expected 1 \(within 0\.001; 3 classes off\)'),
    (dict(pi=_zero_class), 'the mixture weights of class 1 sum to 0, '
     r'expected 1 \(within 0\.001; 1 classes off\)'),
    (dict(pi=lambda a: a * 0.5), 'the mixture weights of class 0 sum to '
     r'0\.5, expected 1'),
    (dict(var=lambda a: -a), r'variances must be > 0'),
    (dict(mu=_nonfinite), 'non-finite values'),
    (dict(pi=lambda a: a[:, :3]), r'pi must have shape \[C\]\[K\] = '
     r'\[3, 5\], got \[3, 3\]'),
])
def test_invalid_gmm_parameters(tmp_path, change, message):
    path = _gmm_file(tmp_path, **change)
    with pytest.raises(ValueError,
                       match=rf"^{path}: GMM parameter set 'toy': {message}"):
        load_gmm_params(str(path))


@pytest.mark.parametrize('grid', [[0, 7], [12], [12.5, 7], 'x'])
def test_gmm_grid_metadata_not_two_positive_ints(tmp_path, grid):
    path = write_gmm_json(tmp_path / 'gmm.json', 3, GRID)
    data = json.loads(path.read_text())
    data['_meta']['coordinates']['grid_WxH']['toy'] = grid
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError,
                       match=rf"^{path}: GMM parameter set 'toy': _meta "
                       r'coordinates\.grid_WxH must be two positive ints '
                       rf'\[W, H\], got {re.escape(repr(grid))}$'):
        load_gmm_params(str(path))


# -- tools/make_toy_data.py --------------------------------------------------
def test_make_toy_data_refuses_non_empty_out(tmp_path):
    tool = load_tool('make_toy_data')
    out = tmp_path / 'data'
    out.mkdir()
    (out / 'mine.txt').write_text('precious')
    with pytest.raises(SystemExit,
                       match=rf'^error: --out {out} is not empty and has no '
                       r'toy-data manifest\.json: refusing to write the toy '
                       r'trees into it\. Choose an empty or new folder, or '
                       r'pass --overwrite to delete synthia, cityscapes, '
                       r'mapillary there first\.$'):
        tool.main(['--out', str(out), '--num-source', '1'])
    assert sorted(p.name for p in out.iterdir()) == ['mine.txt']
    small = ['--num-source', '1', '--num-target', '1', '--num-val', '1',
             '--size', '16', '10']
    tool.main(['--out', str(out), '--overwrite'] + small)
    assert (out / 'mine.txt').exists()  # only the toy trees are replaced
    tool.main(['--out', str(out)] + small)  # same arguments: a rerun
    with pytest.raises(SystemExit,
                       match=r'holds toy data made with other arguments: '
                       r'num_source: old 1 vs new 2\. Pass --overwrite'):
        tool.main(['--out', str(out)] + small[2:] + ['--num-source', '2'])
    tool.main(['--out', str(out), '--overwrite'] + small[2:] +
              ['--num-source', '2'])
    assert len(list((out / 'synthia' / 'RGB').iterdir())) == 2


@pytest.mark.parametrize('args,message', [
    (['--num-source', '-5'], 'argument --num-source: must be >= 1, got -5'),
    (['--num-target', '0'], 'argument --num-target: must be >= 1, got 0'),
    (['--num-val', '0'], 'argument --num-val: must be >= 1, got 0'),
    (['--size', '0', '10'], 'argument --size: must be >= 8, got 0'),
    (['--seed', '-1'], 'argument --seed: must be >= 0, got -1'),
])
def test_make_toy_data_non_positive_counts(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        load_tool('make_toy_data').main(['--out', str(tmp_path / 'd')]
                                        + args)
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f'error: {message}')
    assert not (tmp_path / 'd').exists()


def test_gmm_class_order_differs_from_dataset(tiny_dda_config, tmp_path):
    gmm = write_gmm_json(tmp_path / 'ordered.json', 16, GRID)
    data = json.loads(gmm.read_text())
    names = list(class_names(16))
    swapped = names[1::-1] + names[2:]  # sidewalk, road, ...
    data['_meta']['sets'] = {'toy': {'class_order': swapped}}
    gmm.write_text(json.dumps(data))
    with pytest.raises(SystemExit,
                       match=rf"^GMM parameter set 'toy' \({gmm}\) orders "
                       r"its classes \['sidewalk', 'road', .*\] but the "
                       r"dataset has \['road', 'sidewalk', "):
        load_tool('gen_density_maps').main([str(tiny_dda_config), '--out',
                                            str(tmp_path / 'maps'), '--gmm',
                                            str(gmm)])


def test_pseudo_label_reference_tiff_still_loads(tmp_path):
    """Valid inputs keep working: a uint8 TIFF of the reference naming."""
    path = tmp_path / 'x.png.tiff'
    Image.fromarray(np.full((4, 6), 3, np.uint8)).save(path)
    assert load_pseudo_label(str(path)).tolist() == [[3] * 6] * 4
