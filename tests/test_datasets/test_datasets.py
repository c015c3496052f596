"""Datasets on the generated toy tree: round trips, modes and bad input."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg.registry import DATASETS

from mmseg_dda.datasets import (CityscapesUDADataset, MapillaryUDADataset,
                                SynthiaDataset, feature_grid_size)
from mmseg_dda.datasets.base import reference_split_file
from mmseg_dda.datasets.class_mappings import get_label_lut
from mmseg_dda.demo.toy.writer import (CITYSCAPES_RAW, MAPILLARY_RAW,
                                           SYNTHIA_RAW)
from mmseg_dda.datasets.formats import save_density_maps

LOAD = dict(type='LoadImageFromFile', imdecode_backend='pillow')


def _copy(src, dst):
    shutil.copytree(src, dst)
    return str(dst)


# -- SYNTHIA ------------------------------------------------------------
def test_synthia_full_pipeline_on_the_fly_density(toy_data_root):
    root = toy_data_root['synthia']
    pipeline = [
        LOAD, dict(type='LoadMappedAnnotations'),
        dict(type='LoadInverseDepth'),
        dict(type='ComputeSourceDensityMaps', gmm='c16', scale=(64, 38)),
        dict(type='ResizeWithPad', scale=(64, 38), keep_ratio=False),
        dict(type='PackDDAInputs')
    ]
    ds = DATASETS.build(dict(type='SynthiaDataset', data_root=root,
                             num_classes=16, pipeline=pipeline))
    assert len(ds) == 6
    assert ds.metainfo['classes'][0] == 'road'
    info = ds.get_data_info(0)
    assert info['img_path'].endswith(osp.join('RGB', '0000000.png'))
    assert info['seg_map_path'].endswith(
        osp.join('parsed_LABELS', '0000000.png'))
    assert info['depth_map_path'].endswith(osp.join('Depth', '0000000.png'))
    assert info['label_lut'].shape == (256, ) and info['num_classes'] == 16
    assert 'density_map_path' not in info
    item = ds[0]
    s = item['data_samples']
    assert item['inputs'].shape == (3, 38, 64)
    assert s.gt_sem_seg.data.shape == (1, 38, 64)
    assert s.gt_depth_map.data.dtype == torch.float32
    assert s.gt_density_map.data.shape == (16, *feature_grid_size((38, 64)))
    # Round trip: labels equal the generator's classes through the LUT.
    raw = np.array(Image.open(info['seg_map_path']))
    depth = cv2.imread(info['depth_map_path'], cv2.IMREAD_ANYDEPTH)
    assert depth.dtype == np.uint16 and (depth[raw == 1] == 65535).all()
    inv = Image.fromarray(65536.0 / (depth.astype(np.float32) + 1), 'F')
    np.testing.assert_array_equal(
        s.gt_depth_map.data[0].numpy(),
        cv2.resize(np.asarray(inv), (64, 38),
                   interpolation=cv2.INTER_NEAREST))
    lab = np.asarray(Image.fromarray(get_label_lut('synthia', 16)[raw])
                     .resize((64, 38), Image.NEAREST))
    np.testing.assert_array_equal(s.gt_sem_seg.data[0].numpy(), lab)
    assert set(np.unique(raw)) <= set(SYNTHIA_RAW.tolist())


@pytest.mark.parametrize('layout', ['npy', 'tiff'])
def test_synthia_precomputed_density_maps(toy_data_root, tmp_path, layout):
    root = _copy(toy_data_root['synthia'], tmp_path / 'syn')
    out_dir = osp.join(root, 'source_density_maps')
    os.makedirs(out_dir)
    rng = np.random.default_rng(0)
    for i in range(6):
        save_density_maps(
            rng.uniform(0, 2e-6, (7, 9, 12)).astype(np.float32), out_dir,
            f'{i:07d}', layout)
    ds = SynthiaDataset(
        root, num_classes=7, with_density_maps=True,
        density_map_layout=layout,
        pipeline=[dict(type='LoadSourceDensityMaps', grid=(9, 12))])
    info = ds.get_data_info(2)
    assert info['density_map_path'] == osp.join(
        out_dir, '0000002' + ('.npy' if layout == 'npy' else ''))
    d = ds[2]['gt_density_map']
    assert d.shape == (7, 9, 12) and 0 <= d.min() and d.max() < 255


def test_synthia_gt_labels_layout(toy_data_root, tmp_path):
    root = _copy(toy_data_root['synthia'], tmp_path / 'syn')
    os.makedirs(osp.join(root, 'GT', 'LABELS'))
    for name in os.listdir(osp.join(root, 'parsed_LABELS')):
        raw = np.array(Image.open(osp.join(root, 'parsed_LABELS', name)))
        bgr = np.zeros((*raw.shape, 3), np.uint16)
        bgr[..., 2] = raw
        bgr[..., 1] = 1234
        cv2.imwrite(osp.join(root, 'GT', 'LABELS', name), bgr)
    shutil.rmtree(osp.join(root, 'parsed_LABELS'))
    ds = SynthiaDataset(root, label_layout='gt', with_depth=False,
                        pipeline=[dict(type='LoadMappedAnnotations')])
    raw = np.array(Image.open(osp.join(toy_data_root['synthia'],
                                       'parsed_LABELS', '0000001.png')))
    np.testing.assert_array_equal(ds[1]['gt_seg_map'],
                                  get_label_lut('synthia', 16)[raw])


def test_synthia_ann_file_and_reference_split(toy_data_root, tmp_path):
    root = toy_data_root['synthia']
    ds = SynthiaDataset(root, ann_file='all.txt')  # the toy list
    assert len(ds) == 6
    assert reference_split_file('synthia', 'all').endswith(
        osp.join('splits', 'synthia_all.txt'))
    # The shipped 9400-name list points to images the toy tree lacks.
    with pytest.raises(FileNotFoundError, match='0000006.png'):
        SynthiaDataset(root, ann_file='all')
    with pytest.raises(ValueError, match=r"\['all'\]"):
        SynthiaDataset(root, ann_file='trainval')
    empty = tmp_path / 'empty.txt'
    empty.write_text('\n')
    with pytest.raises(ValueError, match='empty.txt is empty'):
        SynthiaDataset(root, ann_file=str(empty))


def test_synthia_bad_input(toy_data_root, tmp_path):
    with pytest.raises(FileNotFoundError,
                       match='(?s)nowhere.*Expected layout'):
        SynthiaDataset(str(tmp_path / 'nowhere'))
    root = _copy(toy_data_root['synthia'], tmp_path / 'syn')
    os.remove(osp.join(root, 'Depth', '0000003.png'))
    with pytest.raises(FileNotFoundError,
                       match=r'(?s)RGB/0000003.png has no depth map.*'
                       r'Depth/0000003.png'):
        SynthiaDataset(root)
    os.remove(osp.join(root, 'parsed_LABELS', '0000004.png'))
    with pytest.raises(FileNotFoundError,
                       match=r'RGB/0000004.png has no label.*'
                       r'parsed_LABELS/0000004.png'):
        SynthiaDataset(root, with_depth=False)
    shutil.rmtree(osp.join(root, 'Depth'))
    with pytest.raises(FileNotFoundError,
                       match=r'(?s)depth folder not found: .*Depth.*RGB/'):
        SynthiaDataset(root)
    with pytest.raises(FileNotFoundError, match='source_density_maps'):
        SynthiaDataset(root, with_depth=False, with_density_maps=True)


# -- Cityscapes -----------------------------------------------------------
def test_cityscapes_val_pipeline_native_label(toy_data_root):
    root = toy_data_root['cityscapes']
    pipeline = [
        LOAD,
        dict(type='ResizeWithPad', scale=(96, 57), keep_ratio=False,
             scale_label=False),
        dict(type='LoadMappedAnnotations'),
        dict(type='PackDDAInputs')
    ]
    for c in (16, 7):
        ds = CityscapesUDADataset(root, split='val', num_classes=c,
                                  pipeline=pipeline, test_mode=True)
        assert len(ds) == 3 and len(ds.metainfo['classes']) == c
        item = ds[0]
        s = item['data_samples']
        assert item['inputs'].shape == (3, 57, 96)
        assert s.metainfo['ori_shape'] == (64, 128)  # native label
        raw = np.array(Image.open(s.metainfo['seg_map_path']))
        assert s.metainfo['seg_map_path'].endswith('_gtFine_labelIds.png')
        np.testing.assert_array_equal(
            s.gt_sem_seg.data[0].numpy(),
            get_label_lut('cityscapes', c)[raw])
        assert set(np.unique(raw)) <= set(CITYSCAPES_RAW.tolist())


def test_cityscapes_unlabelled_and_pseudo_labels(toy_data_root, tmp_path):
    root = toy_data_root['cityscapes']
    ds = CityscapesUDADataset(root, split='train', with_labels=False,
                              pipeline=[LOAD, dict(type='PackDDAInputs')])
    assert len(ds) == 4 and 'seg_map_path' not in ds.get_data_info(0)
    assert 'gt_sem_seg' not in ds[0]['data_samples']
    for suffix in ('.png', '.tiff'):
        pdir = tmp_path / f'pl{suffix[1:]}'
        pdir.mkdir()
        for i in range(4):
            img = ds.get_data_info(i)['img_path']
            pl = np.full((64, 128), i, np.uint8)
            pl[0, :3] = [255, 16, 200]
            Image.fromarray(pl).save(pdir / (osp.basename(img) + suffix))
        pds = CityscapesUDADataset(
            root, split='train', num_classes=16, pseudo_label_dir=str(pdir),
            pseudo_label_suffix=suffix,
            pipeline=[LOAD, dict(type='LoadMappedAnnotations')])
        assert pds.get_data_info(1)['seg_map_path'] == str(
            pdir / 'toyburg_000000_000001_leftImg8bit.png') + suffix
        lab = pds[2]['gt_seg_map']
        assert lab[0, :3].tolist() == [255, 255, 255]  # 16, 200 unexpected
        assert (lab[1:] == 2).all()
    os.remove(pdir / (osp.basename(img) + '.tiff'))
    with pytest.raises(FileNotFoundError, match='has no pseudo-label'):
        CityscapesUDADataset(root, split='train', pseudo_label_dir=str(pdir),
                             pseudo_label_suffix='.tiff')
    with pytest.raises(FileNotFoundError, match='pseudo_label_dir not found'):
        CityscapesUDADataset(root, split='train',
                             pseudo_label_dir=str(tmp_path / 'none'))


def test_cityscapes_bad_input_and_reference_split(toy_data_root, tmp_path):
    root = _copy(toy_data_root['cityscapes'], tmp_path / 'cs')
    with pytest.raises(FileNotFoundError,
                       match=r'(?s)image folder not found.*leftImg8bit/test'
                       r'.*gtFine_labelIds'):
        CityscapesUDADataset(root, split='test')
    with pytest.raises(FileNotFoundError,
                       match=r'aachen_000000_000019_leftImg8bit.png'):
        CityscapesUDADataset(root, split='train', ann_file='train')
    lbl = osp.join(root, 'gtFine', 'val', 'toyfurt',
                   'toyfurt_000000_000001_gtFine_labelIds.png')
    os.remove(lbl)
    with pytest.raises(FileNotFoundError,
                       match=r'toyfurt_000000_000001_leftImg8bit.png has no '
                       r'label: expected .*gtFine_labelIds.png'):
        CityscapesUDADataset(root, split='val')
    assert len(CityscapesUDADataset(root, split='val',
                                    with_labels=False)) == 3


# -- Mapillary ------------------------------------------------------------
def test_mapillary_reference_protocol(toy_data_root):
    root = toy_data_root['mapillary']
    pipeline = [
        LOAD, dict(type='LoadMappedAnnotations'),
        dict(type='ResizeWithPad', scale=(64, 38)),
        dict(type='PackDDAInputs')
    ]
    ds = MapillaryUDADataset(root, split='validation', pipeline=pipeline,
                             test_mode=True)
    assert len(ds) == 3 and ds.metainfo['classes'][0] == 'flat'
    shapes = set()
    for i in range(3):
        info = ds.get_data_info(i)
        raw = np.array(Image.open(info['seg_map_path']))
        assert Image.open(info['seg_map_path']).mode == 'P'
        assert set(np.unique(raw)) <= set(MAPILLARY_RAW.tolist())
        h, w = raw.shape
        shapes.add(w / h > 64 / 38)
        s = ds[i]['data_samples']
        assert s.metainfo['ori_shape'] == (38, 64)
        lab = s.gt_sem_seg.data[0].numpy()
        nh, nw = s.metainfo['resized_shape']
        exp = np.asarray(Image.fromarray(
            get_label_lut('mapillary', 7)[raw]).resize((nw, nh),
                                                       Image.NEAREST))
        np.testing.assert_array_equal(lab[:nh, :nw], exp)
        assert (lab[nh:] == 255).all() and (lab[:, nw:] == 255).all()
    assert shapes == {True, False}  # both fit-width and fit-height cases


def test_mapillary_selftrain_and_errors(toy_data_root, tmp_path):
    root = toy_data_root['mapillary']
    ds = MapillaryUDADataset(root, split='selftrain', with_labels=False,
                             selftrain_size=3)
    assert len(ds) == 3
    assert ds.get_data_info(0)['img_path'] == osp.join(
        root, 'train', 'images', 'toy_train_00000.jpg')
    with pytest.raises(ValueError, match='7-class'):
        MapillaryUDADataset(root, num_classes=16)
    with pytest.raises(FileNotFoundError,
                       match=r'(?s)split folder not found.*training.*'
                       r'<split>/images'):
        MapillaryUDADataset(root, split='training')
    bad = _copy(root, tmp_path / 'map')
    os.remove(
        osp.join(bad, 'validation', 'labels', 'toy_validation_00002.png'))
    with pytest.raises(FileNotFoundError,
                       match='toy_validation_00002.jpg has no label'):
        MapillaryUDADataset(bad, split='validation')
