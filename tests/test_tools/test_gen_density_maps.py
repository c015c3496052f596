"""tools/gen_density_maps.py on a tiny synthesised SYNTHIA folder."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.datasets.formats import load_density_maps
from mmseg_dda.datasets.formats.density_maps import tiff_paths
from mmseg_dda.density import GMMDensity, squash_density
from mmseg_dda.density.generation import generate_density_maps

from _fake_synthia import write_fake_synthia
from _helpers import load_tool, write_toy_gmm

# Raw SYNTHIA id -> 7-class train id (docs/method.md §7.2), written out here so
# that the expected maps do not depend on the dataset code under test.
SYN_TO_7 = {3: 0, 4: 0, 22: 0, 2: 1, 5: 1, 7: 2, 9: 2, 15: 2, 6: 3, 1: 4,
            10: 5, 8: 6, 11: 6}
GRID = (6, 9)
SIZE = (38, 64)  # (H, W), not a multiple of the grid


def _gmm_json(path: Path):
    """A 7-class GMM with means on the tiny grid (non-trivial values)."""
    write_toy_gmm(path, 7, GRID, seed=1, inv_depth=(20, 80),
                  random_shape=True)


@pytest.fixture()
def setup(tmp_path):
    root = tmp_path / 'SYNTHIA'
    write_fake_synthia(root, n=4, size=SIZE, scene='random')
    gmm = tmp_path / 'toy_gmm.json'
    _gmm_json(gmm)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'''
default_scope = 'mmseg'
model = dict(density=dict(params={str(gmm)!r}, num_classes=7))
train_dataloader = dict(dataset=dict(
    type='SourceTargetDataset',
    source=dict(type='SynthiaDataset', data_root={str(root)!r},
                num_classes=7, ann_file='', with_density_maps=True,
                density_map_dir='source_density_maps/toy',
                pipeline=[dict(type='NotARealTransform')]),
    target=dict(type='CityscapesUDADataset')))
''')
    return root, gmm, cfg


def _expected(root: Path, gmm: Path, stem: str) -> np.ndarray:
    raw = np.array(Image.open(root / 'parsed_LABELS' / f'{stem}.png'))
    lut = np.full(256, 255, np.int64)
    for k, v in SYN_TO_7.items():
        lut[k] = v
    depth = cv2.imread(str(root / 'Depth' / f'{stem}.png'),
                       cv2.IMREAD_ANYDEPTH)
    inv = 65536 / (depth.astype(np.float32) + 1)
    return GMMDensity(str(gmm)).source_density_maps(
        torch.from_numpy(lut[raw]), torch.from_numpy(inv), GRID).numpy()


def _read_all(folder: Path):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.name != '.writer.lock'}  # its owner line has a time


def test_generate_both_layouts_and_read_back(setup, capsys):
    root, gmm, cfg = setup
    tool = load_tool('gen_density_maps')
    assert tool.main([str(cfg), '--layout', 'both', '--num-classes', '7']) == 0
    out = root / 'source_density_maps' / 'toy'  # default: config's dir
    assert 'images/s' in capsys.readouterr().out
    for i in range(4):
        stem = f'{i:07d}'
        exp = _expected(root, gmm, stem)
        assert exp.max() > 1e-4  # the toy GMM gives non-trivial values
        npy = np.load(out / f'{stem}.npy')
        assert npy.dtype == np.float32 and npy.shape == (7, ) + GRID
        np.testing.assert_array_equal(npy, exp)
        for c, p in enumerate(tiff_paths(str(out / stem), 7)):
            with Image.open(p) as im:
                assert im.mode == 'F'
                np.testing.assert_array_equal(np.array(im), exp[c])
        np.testing.assert_array_equal(
            load_density_maps(str(out / stem), 7), exp)  # TIFF prefix
        np.testing.assert_array_equal(
            squash_density(load_density_maps(str(out / f'{stem}.npy'), 7)),
            squash_density(exp))
    assert not [p for p in out.iterdir()  # no temp files left
                if p.name.startswith('.') and p.name != '.writer.lock']
    with pytest.raises(ValueError, match='expected 16'):
        load_density_maps(str(out / '0000000.npy'), 16)
    with pytest.raises(FileNotFoundError, match='neither'):
        load_density_maps(str(out / 'nope'), 7)


def test_interrupted_then_resumed_equals_uninterrupted(setup, tmp_path):
    root, gmm, cfg = setup
    tool = load_tool('gen_density_maps')
    ref_dir, res_dir = tmp_path / 'ref', tmp_path / 'resumed'
    assert tool.main([str(cfg), '--out', str(ref_dir)]) == 0
    # Interrupted run: one that stops after one image (a real kill is
    # tests/test_robustness/test_interruption.py's).
    assert tool.main([str(cfg), '--out', str(res_dir), '--max-images',
                      '1']) == 0
    assert len(list(res_dir.glob('*.npy'))) == 1
    # Crash debris: a stale temp file and a truncated output.
    (res_dir / '.0000003.npy.abc.tmp').write_bytes(b'partial')
    (res_dir / '0000002.npy').write_bytes(
        (ref_dir / '0000002.npy').read_bytes()[:100])
    items = _items(cfg)
    from mmseg_dda.density import load_gmm_params
    summary = generate_density_maps(items, load_gmm_params(str(gmm)), GRID,
                                    str(res_dir), workers=2, log=lambda s: 0)
    assert (summary['skipped'], summary['done'], summary['failed']) == (1, 3,
                                                                        0)
    (res_dir / '.0000003.npy.abc.tmp').unlink()
    assert _read_all(res_dir) == _read_all(ref_dir)
    # A complete folder is skipped entirely.
    again = generate_density_maps(items, load_gmm_params(str(gmm)), GRID,
                                  str(res_dir), log=lambda s: 0)
    assert (again['skipped'], again['done']) == (4, 0)


def _items(cfg):
    from mmengine.config import Config

    from mmseg_dda.apis.step_inputs import (build_source_dataset,
                                               source_items)
    return source_items(build_source_dataset(Config.fromfile(str(cfg))))


def test_bad_image_is_reported_and_class_mismatch(setup, capsys):
    root, gmm, cfg = setup
    (root / 'Depth' / '0000001.png').write_bytes(b'not a png')
    tool = load_tool('gen_density_maps')
    assert tool.main([str(cfg), '--out', str(root / 'o')]) == 1
    out = capsys.readouterr().out
    assert 'FAILED 0000001' in out and 'Cannot read depth' in out
    assert len(list((root / 'o').glob('*.npy'))) == 3
    with pytest.raises(SystemExit, match='has 7 classes but the --num-class'):
        tool.main([str(cfg), '--num-classes', '16'])
    with pytest.raises(SystemExit, match="'c16' has 16 classes but the "
                       'dataset has 7'):
        tool.main([str(cfg), '--gmm', 'c16'])
