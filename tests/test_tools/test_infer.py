"""tools/infer.py: outputs on a tiny DDA checkpoint, equality with
tools/test.py's predictions, formats and bad input."""
import mmseg_dda  # noqa: F401

import os.path as osp

import mmcv
import numpy as np
import pytest
from mmseg.apis import inference_model, init_model
from PIL import Image

from _helpers import load_tool, run_tool, run_tool_inprocess
from mmseg_dda.apis import maps_at_original_size
from mmseg_dda.apis.writers import (PNG_SCALES, cityscapes_label_id_lut,
                                    read_map_png)
from mmseg_dda.datasets.class_mappings import PALETTE_16


@pytest.fixture(scope='module')
def infer_tool():
    return load_tool('infer')


@pytest.fixture(scope='module')
def cli_run(tiny_checkpoints, tmp_path_factory):
    """tools/infer.py (subprocess) and tools/test.py --out (in-process) on
    the same checkpoint and the toy Cityscapes val images."""
    tmp = tmp_path_factory.mktemp('cli')
    pattern = osp.join(tiny_checkpoints['cityscapes'], 'leftImg8bit', 'val', '**',
                       '*.png')
    infer = run_tool('infer.py', [
        tiny_checkpoints['dda_config'], tiny_checkpoints['dda_ckpt'], pattern, '--out',
        tmp / 'infer', '--batch-size', '2', '--out-format', 'cityscapes',
        '--device', 'cpu'
    ])
    run_tool_inprocess('test.py', [
        tiny_checkpoints['dda_config'], tiny_checkpoints['dda_ckpt'], '--work-dir', tmp / 'work',
        '--out', tmp / 'test_preds'
    ])
    return dict(out=tmp / 'infer', stdout=infer.stdout,
                test_preds=tmp / 'test_preds')


def _stem(path):
    return osp.splitext(osp.basename(path))[0]


def test_label_maps_equal_tools_test_predictions(cli_run, val_images):
    for path in val_images:
        ours = Image.open(cli_run['out'] / 'label' / f'{_stem(path)}.png')
        assert ours.mode == 'P'
        theirs = np.asarray(
            Image.open(cli_run['test_preds'] / f'{_stem(path)}.png'))
        assert theirs.shape == mmcv.imread(path).shape[:2]
        assert len(np.unique(theirs)) > 1  # not a trivial comparison
        np.testing.assert_array_equal(np.asarray(ours), theirs)


def test_output_files_shapes_dtypes_ranges(cli_run, tiny_checkpoints, val_images):
    out = cli_run['out']
    model = init_model(tiny_checkpoints['dda_config'], tiny_checkpoints['dda_ckpt'], device='cpu')
    for path in val_images:
        stem = _stem(path)
        h0, w0 = mmcv.imread(path).shape[:2]
        label = Image.open(out / 'label' / f'{stem}.png')
        palette = np.asarray(label.getpalette()[:48]).reshape(16, 3)
        np.testing.assert_array_equal(palette, np.asarray(PALETTE_16))
        label = np.asarray(label)
        assert label.shape == (h0, w0) and label.dtype == np.uint8
        assert label.max() < 16
        overlay = np.asarray(Image.open(out / 'overlay' / f'{stem}.jpg'))
        assert overlay.shape == (h0, w0, 3)
        maps = maps_at_original_size(inference_model(model, path))
        for kind in ('depth', 'density'):
            png = Image.open(out / kind / f'{stem}.png')
            assert np.asarray(png).dtype in (np.uint16, np.int32)
            assert png.mode.startswith('I')
            values = read_map_png(str(out / kind / f'{stem}.png'), kind)
            assert values.shape == (h0, w0) and values.min() >= 0
            want = np.clip(maps[kind], 0, 65535 / PNG_SCALES[kind])
            np.testing.assert_allclose(values, want,
                                       atol=0.5 / PNG_SCALES[kind] + 1e-6)
            preview = np.asarray(Image.open(out / f'{kind}_vis' /
                                            f'{stem}.png'))
            assert preview.shape == (h0, w0, 3)
            assert preview.dtype == np.uint8
        # Cityscapes labelIds for the official scripts.
        city = stem[:-len('_leftImg8bit')]
        ids = np.asarray(Image.open(out / 'labelIds' /
                                    f'{city}_labelIds.png'))
        np.testing.assert_array_equal(ids,
                                      cityscapes_label_id_lut(16)[label])


def test_progress_and_summary(cli_run, val_images):
    text = cli_run['stdout']
    assert f'{len(val_images)} images -> ' in text
    assert f'{len(val_images)}/{len(val_images)}' in text  # progress bar
    assert f'done: {len(val_images)} images in ' in text
    assert ' images/s' in text


def test_npy_format_and_segmentor_checkpoint(infer_tool, tiny_checkpoints, val_images,
                                             tmp_path):
    out = tmp_path / 'npy'
    assert infer_tool.main([
        tiny_checkpoints['seg_config'], tiny_checkpoints['seg_ckpt'], val_images[0], '--out',
        str(out), '--save-format', 'npy', '--device', 'cpu', '--panel'
    ]) == 0
    stem = _stem(val_images[0])
    model = init_model(tiny_checkpoints['seg_config'], tiny_checkpoints['seg_ckpt'], device='cpu')
    maps = maps_at_original_size(inference_model(model, val_images[0]))
    for kind in ('depth', 'density'):
        values = np.load(out / kind / f'{stem}.npy')
        assert values.dtype == np.float32
        np.testing.assert_array_equal(values, maps[kind])
    assert not (out / 'labelIds').exists()
    # image | overlay | depth | density, 4-pixel white gaps.
    h0, w0 = mmcv.imread(val_images[0]).shape[:2]
    panel = np.asarray(Image.open(out / 'panel' / f'{stem}.png'))
    assert panel.shape == (h0, 4 * w0 + 3 * 4, 3)
    np.testing.assert_array_equal(
        panel[h0 // 2:, :w0],
        mmcv.imread(val_images[0], channel_order='rgb')[h0 // 2:])
    assert (panel[:, w0:w0 + 4] == 255).all()


def test_cityscapes_label_id_lut():
    lut16 = cityscapes_label_id_lut(16)
    assert lut16[:16].tolist() == [7, 8, 11, 12, 13, 17, 19, 20, 21, 23, 24,
                                   25, 26, 28, 32, 33]
    assert lut16[255] == 0
    assert cityscapes_label_id_lut(7)[:7].tolist() == [7, 11, 17, 21, 23,
                                                       24, 26]
    with pytest.raises(ValueError, match='16- or 7-class model'):
        cityscapes_label_id_lut(19)


def test_bad_input_is_named(infer_tool, tiny_checkpoints, val_images, tmp_path):
    base = [tiny_checkpoints['dda_config'], tiny_checkpoints['dda_ckpt']]
    out = ['--out', str(tmp_path / 'o'), '--device', 'cpu']
    with pytest.raises(FileNotFoundError, match='checkpoint not found: .*'
                       'missing.pth'):
        infer_tool.main([tiny_checkpoints['dda_config'], str(tmp_path / 'missing.pth'),
                         val_images[0]] + out)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty holds no image'):
        infer_tool.main(base + [str(empty)] + out)
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    with pytest.raises(OSError, match='cannot read image .*bad.png'):
        infer_tool.main(base + [str(bad)] + out)
    other = tmp_path / 'other'
    other.mkdir()
    (other / osp.basename(val_images[0])).write_bytes(
        open(val_images[0], 'rb').read())
    with pytest.raises(ValueError, match='occur more than once'):
        infer_tool.main(base + [val_images[0], str(other)] + out)
    with pytest.raises(SystemExit):
        infer_tool.parse_args(base + [val_images[0], '--out', 'x',
                                      '--batch-size', '0'])


def test_cuda_device_without_gpu(infer_tool, monkeypatch, capsys):
    monkeypatch.setattr(infer_tool.torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit):
        infer_tool.parse_args(['c.py', 'k.pth', 'a.png', '--out', 'x',
                               '--device', 'cuda:1'])
    assert 'no CUDA GPU is available' in capsys.readouterr().err
