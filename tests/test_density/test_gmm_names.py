"""One GMM set per config: the on-the-fly maps must use the model's prior."""
import json
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmseg_dda  # noqa: F401
from mmseg_dda.datasets.transforms import ComputeSourceDensityMaps
from mmseg_dda.density import GMMDensity, squash_density
from mmseg_dda.density.gmm import BUILTIN_PARAMS_FILE
from mmseg_dda.density.gmm_names import check_config_gmm, config_gmm_refs
from mmseg_dda.density.manifest import (check_config_density_maps,
                                        source_density_dir)

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def _cfg(model_params='c16', transform=None, model_set=None):
    pipeline = [dict(type='LoadMappedAnnotations')]
    if transform is not None:
        pipeline.append(dict(type='ComputeSourceDensityMaps', **transform))
    return Config(dict(
        model=dict(type='DDA', density=dict(type='GMMDensity',
                                            params=model_params,
                                            set_name=model_set)),
        train_dataloader=dict(dataset=dict(
            type='SourceTargetDataset',
            source=dict(type='SynthiaDataset', with_density_maps=False,
                        pipeline=pipeline)))))


def _two_sets(tmp_path):
    """A JSON with a copy of c16 ('same') and a perturbed one ('other')."""
    data = json.load(open(BUILTIN_PARAMS_FILE))
    other = json.loads(json.dumps(data['c16']))
    other['mu'][0][0][2] += 1.0
    path = tmp_path / 'sets.json'
    path.write_text(json.dumps(dict(same=data['c16'], other=other)))
    return str(path)


def test_refs_model_first_then_transforms():
    cfg = _cfg(transform=dict(gmm='c7', scale=(64, 38)))
    refs = config_gmm_refs(cfg)
    assert [(r.params, r.set_name) for r in refs] == [('c16', None),
                                                      ('c7', None)]
    assert refs[0].where == 'model.density'
    assert refs[1].where == 'ComputeSourceDensityMaps (source pipeline step 1)'


def test_agreeing_names_pass(tmp_path):
    check_config_gmm(_cfg())  # no transform: nothing to compare
    check_config_gmm(_cfg(transform=dict(gmm='c16')))
    # Same parameters under another name and file: the values decide.
    check_config_gmm(_cfg(transform=dict(gmm=_two_sets(tmp_path),
                                         set_name='same')))
    # A GMM file still to be fitted: compared by path and set name.
    missing = str(tmp_path / 'later' / 'gmm.json')
    check_config_gmm(_cfg(missing, dict(gmm=missing)))


def test_disagreeing_names_refused(tmp_path):
    with pytest.raises(ValueError, match=r"ComputeSourceDensityMaps \(source "
                       r"pipeline step 1\) uses the GMM set 'c7' but "
                       r"model.density uses 'c16'"):
        check_config_gmm(_cfg(transform=dict(gmm='c7')))
    path = _two_sets(tmp_path)
    with pytest.raises(ValueError, match="set_name='other'"):
        check_config_gmm(_cfg(transform=dict(gmm=path, set_name='other')))
    # Same values, but both record a class order and the orders differ.
    data = json.load(open(path))
    names = [f'class{i}' for i in range(16)]
    data['_meta'] = dict(sets=dict(same=dict(class_order=names[::-1])))
    Path(path).write_text(json.dumps(data))
    model_file = tmp_path / 'named.json'
    model_file.write_text(json.dumps(dict(_meta=dict(sets=dict(
        same=dict(class_order=names))), same=data['same'])))
    with pytest.raises(ValueError, match="set_name='same'"):
        check_config_gmm(_cfg(str(model_file),
                              dict(gmm=path, set_name='same')))
    missing = str(tmp_path / 'gmm.json')
    with pytest.raises(ValueError, match='derive'):
        check_config_gmm(_cfg(missing, dict(gmm=str(tmp_path / 'x.json'))))
    with pytest.raises(ValueError, match='no gmm given'):
        check_config_gmm(_cfg(transform=dict(scale=(64, 38))))
    # tools/train.py's check runs it too.
    with pytest.raises(ValueError, match="uses the GMM set 'c7'"):
        check_config_density_maps(_cfg(transform=dict(gmm='c7')))


def test_transform_reads_set_name(tmp_path):
    path = _two_sets(tmp_path)
    rng = np.random.default_rng(0)
    label = rng.integers(0, 16, (20, 30)).astype(np.uint8)
    depth = rng.uniform(1, 3000, (20, 30)).astype(np.float32)
    results = dict(img=np.zeros((20, 30, 3), np.uint8), gt_seg_map=label,
                   gt_depth_map=depth)
    t = ComputeSourceDensityMaps(gmm=path, set_name='other', grid=(4, 5))
    assert "set_name='other'" in repr(t)
    ref = GMMDensity(path, 'other').source_density_maps(
        torch.from_numpy(label.astype(np.int64)), torch.from_numpy(depth),
        (4, 5))
    np.testing.assert_array_equal(t(dict(results))['gt_density_map'],
                                  squash_density(ref.numpy()))
    with pytest.raises(ValueError, match='pass set_name'):
        ComputeSourceDensityMaps(gmm=path, grid=(4, 5))(dict(results))


@pytest.mark.parametrize(
    'name', sorted(str(p.relative_to(CONFIGS))
                   for pattern in ('dda/*.py', 'dda/*/*.py', 'demo/*.py')
                   for p in CONFIGS.glob(pattern)))
def test_every_config_names_one_gmm_set(name):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    check_config_gmm(cfg)
    refs = config_gmm_refs(cfg)
    assert len({(r.params, r.set_name) for r in refs}) <= 1, refs


def test_each_density_map_folder_belongs_to_one_gmm_set():
    """Configs that read the same STEP 1 folder name the same GMM set (the
    folder's manifest.json would refuse all but one of them)."""
    owners = {}
    for pattern in ('dda/*.py', 'dda/*/*.py', 'demo/*.py'):
        for path in sorted(CONFIGS.glob(pattern)):
            cfg = Config.fromfile(str(path))
            folder = source_density_dir(cfg)
            refs = config_gmm_refs(cfg)
            if folder is None or not refs:
                continue
            gmm = (refs[0].params, refs[0].set_name)
            owners.setdefault(osp.normpath(folder), {}).setdefault(
                gmm, []).append(path.name)
    assert owners  # the STEP 1 configs are found
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert not shared, shared
