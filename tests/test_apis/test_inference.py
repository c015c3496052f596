"""MMSeg's inference API and mmseg_dda.apis on tiny DDA / segmentor models.

``mmseg.apis.init_model`` / ``inference_model`` / ``MMSegInferencer`` are
called as a user would, on a stage-1 DDA checkpoint (with class names) and a
self-training style segmentor checkpoint (without, like converted files).
"""
import mmseg_dda  # noqa: F401

import glob
import os.path as osp
import warnings

import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.apis import MMSegInferencer, inference_model, init_model
from mmseg.registry import MODELS

from mmseg_dda.apis import (infer_images, init_dda_model, list_images,
                            maps_at_original_size)
from mmseg_dda.datasets.class_mappings import (CLASSES_16, PALETTE_16,
                                               class_palette)
from mmseg_dda.datasets.transforms import inference_pipeline

TINY_HW = (57, 96)  # network input (H, W) of the tiny config


@pytest.fixture(scope='module')
def mapillary_images(tiny_checkpoints):
    return sorted(glob.glob(
        osp.join(tiny_checkpoints['mapillary'], 'validation', 'images', '*.jpg')))


@pytest.fixture(scope='module', params=['dda', 'seg'])
def model(request, tiny_checkpoints):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # class-name fallback of 'seg'
        return init_model(tiny_checkpoints[f'{request.param}_config'],
                          tiny_checkpoints[f'{request.param}_ckpt'], device='cpu')


def _check_sample(sample, image_path):
    h0, w0 = mmcv.imread(image_path).shape[:2]
    assert sample.metainfo['ori_shape'] == (h0, w0)
    seg = sample.pred_sem_seg.data
    assert seg.shape == (1, h0, w0) and seg.dtype == torch.int64
    assert 0 <= int(seg.min()) and int(seg.max()) < 16
    logits = sample.seg_logits.data
    assert logits.shape == (16, h0, w0) and logits.dtype == torch.float32
    assert torch.equal(logits.argmax(0, keepdim=True), seg)
    for field in ('pred_depth_map', 'pred_density_map'):
        value = sample.get(field).data
        assert value.shape == (1, *TINY_HW) and value.dtype == torch.float32
        assert bool(torch.isfinite(value).all())


# -- init_model ---------------------------------------------------------------
def test_init_model_builds_both_model_kinds(model):
    assert type(model).__name__ in ('DDA', 'DepthDensitySegmentor')
    assert not model.training
    assert next(model.parameters()).device.type == 'cpu'
    # Class names: saved ones (DDA) or the 16-class fallback (segmentor
    # checkpoint without names; MMSeg alone would pick Cityscapes' 19).
    assert tuple(model.dataset_meta['classes']) == CLASSES_16
    assert [tuple(c) for c in model.dataset_meta['palette']] == \
        list(PALETTE_16)
    # The inference pipelines load no annotation and keep the native size.
    for pipeline in (model.cfg.test_pipeline,
                     model.cfg.test_dataloader.dataset.pipeline):
        assert [t['type'] for t in pipeline] == [
            'LoadImageFromFile', 'InferenceResizeWithPad', 'PackDDAInputs']


def test_checkpoint_without_class_names_warns_and_uses_16_classes(tiny_checkpoints):
    with pytest.warns(UserWarning, match='using the 16-class names'):
        model = init_model(tiny_checkpoints['seg_config'], tiny_checkpoints['seg_ckpt'],
                           device='cpu')
    assert tuple(model.dataset_meta['classes']) == CLASSES_16


def test_models_accept_the_kwargs_of_init_model(tiny_checkpoints):
    cfg = Config.fromfile(tiny_checkpoints['dda_config'])
    dda = MODELS.build(dict(cfg.model, pretrained=None, train_cfg=None))
    assert dda.num_classes == 16
    assert dda.decode_head is dda.segmentor.decode_head
    with pytest.raises(ValueError, match="backbone.*type='Pretrained'"):
        MODELS.build(dict(cfg.model, pretrained='x.pth'))
    with pytest.raises(ValueError, match='train_cfg belongs to the segmentor'):
        MODELS.build(dict(cfg.model, train_cfg=dict(x=1)))
    seg = MODELS.build(dict(cfg.model.segmentor, pretrained=None))
    assert seg.num_classes == 16


# -- inference_model ----------------------------------------------------------
def test_inference_model_file_array_and_batch(model, val_images):
    path = val_images[0]
    sample = inference_model(model, path)
    _check_sample(sample, path)
    # A BGR array gives the same prediction as the file.
    from_array = inference_model(model, mmcv.imread(path,
                                                    backend='pillow'))
    assert torch.equal(from_array.pred_sem_seg.data, sample.pred_sem_seg.data)
    # MMSeg switched the loader of the copy it read, not the model's config.
    assert model.cfg.test_pipeline[0]['type'] == 'LoadImageFromFile'
    # A list gives a list, in order.
    batch = inference_model(model, val_images[:2])
    assert isinstance(batch, list) and len(batch) == 2
    assert torch.equal(batch[0].pred_sem_seg.data, sample.pred_sem_seg.data)


def test_mapillary_style_padded_input_returns_native_size(tiny_checkpoints,
                                                          mapillary_images):
    """keep_ratio=True: content pasted top-left; outputs are cropped to it
    and resized to the native size."""
    cfg = Config.fromfile(tiny_checkpoints['dda_config'])
    for t in cfg.test_pipeline:
        if t['type'] == 'ResizeWithPad':
            t.update(keep_ratio=True, scale_label=True)
    model = init_model(cfg, tiny_checkpoints['dda_ckpt'], device='cpu')
    for path in mapillary_images:
        sample = inference_model(model, path)
        h0, w0 = mmcv.imread(path).shape[:2]
        assert sample.pred_sem_seg.shape == (h0, w0)
        left, right, top, bottom = sample.metainfo['img_padding_size']
        nh, nw = sample.metainfo['resized_shape']
        assert (left, top) == (0, 0)
        assert (TINY_HW[1] - right, TINY_HW[0] - bottom) == (nw, nh)
        maps = maps_at_original_size(sample)
        depth = sample.pred_depth_map.data[None, :, :nh, :nw]
        want = F.interpolate(depth, size=(h0, w0), mode='bilinear',
                             align_corners=True)[0, 0].numpy()
        np.testing.assert_allclose(maps['depth'], want, rtol=1e-6)
        assert maps['label'].shape == (h0, w0)
        assert maps['label'].dtype == np.uint8


# -- MMSegInferencer ----------------------------------------------------------
@pytest.mark.parametrize('kind', ['dda', 'seg'])
def test_mmseg_inferencer(tiny_checkpoints, val_images, kind):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        inferencer = MMSegInferencer(tiny_checkpoints[f'{kind}_config'],
                                     tiny_checkpoints[f'{kind}_ckpt'], device='cpu')
    assert next(inferencer.model.parameters()).device.type == 'cpu'
    result = inferencer(val_images[:2], batch_size=2)
    preds = result['predictions']
    assert len(preds) == 2
    reference = init_model(tiny_checkpoints[f'{kind}_config'], tiny_checkpoints[f'{kind}_ckpt'],
                           device='cpu')
    for path, pred in zip(val_images, preds):
        want = inference_model(reference, path).pred_sem_seg.data[0]
        np.testing.assert_array_equal(pred, want.numpy())
    samples = inferencer(val_images[:1], return_datasamples=True)
    _check_sample(samples, val_images[0])


# -- mmseg_dda.apis -----------------------------------------------------------
def test_init_dda_model_quiet_class_name_fallback(tiny_checkpoints):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = init_dda_model(tiny_checkpoints['seg_config'], tiny_checkpoints['seg_ckpt'])
    messages = ' '.join(str(w.message) for w in caught)
    assert 'dataset_meta' not in messages
    assert tuple(model.dataset_meta['classes']) == CLASSES_16


def test_init_dda_model_names_missing_files(tiny_checkpoints, tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint not found: .*'
                       'nope.pth'):
        init_dda_model(tiny_checkpoints['dda_config'], str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='config file not found'):
        init_dda_model(str(tmp_path / 'c.py'), tiny_checkpoints['dda_ckpt'])


def test_infer_images_batches_like_single_calls(model, val_images,
                                                mapillary_images):
    images = val_images + mapillary_images  # different sizes in a batch
    results = list(infer_images(model, images, batch_size=4))
    assert [p for p, _ in results] == images
    for path, sample in results:
        single = inference_model(model, path)
        assert torch.equal(sample.pred_sem_seg.data,
                           single.pred_sem_seg.data)
        maps = maps_at_original_size(sample)
        h0, w0 = mmcv.imread(path).shape[:2]
        for key in ('depth', 'density'):
            assert maps[key].shape == (h0, w0)
            assert maps[key].dtype == np.float32
    with pytest.raises(ValueError, match='batch_size must be >= 1'):
        next(infer_images(model, images, batch_size=0))


def test_infer_images_names_unreadable_image(model, tmp_path):
    bad = tmp_path / 'broken.png'
    bad.write_bytes(b'not an image')
    with pytest.raises(OSError, match='cannot read image .*broken.png'):
        list(infer_images(model, [str(bad)]))


def test_list_images(tmp_path, val_images):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for name in ('b.png', 'a.jpg', 'notes.txt'):
        (folder / name).write_bytes(b'x')
    assert list_images([str(folder)]) == [
        str(folder / 'a.jpg'), str(folder / 'b.png')]
    assert list_images([str(folder / '*.png'), str(folder / 'b.png')]) == [
        str(folder / 'b.png')]  # duplicates dropped
    pattern = osp.join(osp.dirname(osp.dirname(val_images[0])), '**', '*.png')
    assert list_images([pattern]) == val_images
    with pytest.raises(FileNotFoundError, match='input not found: .*nope'):
        list_images([str(tmp_path / 'nope.png')])
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty holds no image'):
        list_images([str(empty)])
    with pytest.raises(FileNotFoundError, match='matches no image'):
        list_images([str(tmp_path / '*.bmp')])


def test_inference_pipeline_conversion():
    test_pipeline = [
        dict(type='LoadImageFromFile', imdecode_backend='pillow'),
        dict(type='LoadMappedAnnotations'),
        dict(type='LoadInverseDepth'),
        dict(type='ResizeWithPad', scale=(96, 57), keep_ratio=True,
             scale_label=False),
        dict(type='PackDDAInputs'),
    ]
    out = inference_pipeline(test_pipeline)
    assert [t['type'] for t in out] == [
        'LoadImageFromFile', 'InferenceResizeWithPad', 'PackDDAInputs']
    assert out[1] == dict(type='InferenceResizeWithPad', scale=(96, 57),
                          keep_ratio=True)
    assert 'img_padding_size' in out[2]['meta_keys']
    assert test_pipeline[1]['type'] == 'LoadMappedAnnotations'  # untouched
    assert inference_pipeline(out) == out  # idempotent
    with pytest.raises(ValueError, match='must start with an image loader'):
        inference_pipeline([dict(type='PackDDAInputs')])


def test_dataset_meta_palette_for_7_classes(tiny_checkpoints):
    cfg = Config.fromfile(tiny_checkpoints['seg_config'])
    cfg.model.decode_head.num_classes = 7
    model = MODELS.build(cfg.model)
    assert model.dataset_meta['palette'] == class_palette(7)


# -- the shipped configs ------------------------------------------------------
_CONFIGS = sorted(
    glob.glob(osp.join(osp.dirname(__file__), '..', '..', 'configs', '**',
                       '*.py'), recursive=True))
_CONFIGS = [c for c in _CONFIGS if '_base_' not in c]


@pytest.mark.parametrize('config', _CONFIGS,
                         ids=[osp.basename(c) for c in _CONFIGS])
def test_every_config_has_an_inference_pipeline(config):
    from mmseg_dda.datasets.transforms import to_inference_config
    cfg = Config.fromfile(config)
    scale = next(t['scale'] for t in cfg.test_pipeline
                 if t['type'] == 'ResizeWithPad')
    to_inference_config(cfg)
    for pipeline in (cfg.test_pipeline,
                     cfg.test_dataloader.dataset.pipeline):
        types = [t['type'] for t in pipeline]
        assert types == ['LoadImageFromFile', 'InferenceResizeWithPad',
                         'PackDDAInputs'], types
        assert tuple(pipeline[1]['scale']) == tuple(scale)


@pytest.mark.parametrize('config', [
    'configs/dda/syn2city_16cls.py', 'configs/dda/syn2map_7cls_selftrain.py'])
def test_init_model_on_shipped_configs(config):
    """The issue's ``TypeError: DDA.__init__() got an unexpected keyword
    argument 'pretrained'`` (and the segmentor's) are gone."""
    model = init_model(osp.join(osp.dirname(__file__), '..', '..', config),
                       None, device='cpu')
    assert model.num_classes == (16 if '16cls' in config else 7)
    assert model.cfg.test_pipeline[1]['type'] == 'InferenceResizeWithPad'
