"""SourceTargetDataset: pairing, collation, DDP sharding (2 CPU processes)."""
import json
import os.path as osp
import time

import pytest
import torch
import torch.multiprocessing as mp

import mmseg_dda  # noqa: F401
from mmengine.dataset import DefaultSampler, InfiniteSampler, pseudo_collate
from mmseg.registry import DATASETS

from mmseg_dda.datasets import SourceTargetDataset

PIPE = [dict(type='LoadImageFromFile', imdecode_backend='pillow'),
        dict(type='PackDDAInputs')]


def _cfg(roots, seed=0):
    return dict(
        type='SourceTargetDataset', seed=seed,
        source=dict(type='SynthiaDataset', data_root=roots['synthia'],
                    num_classes=16, with_depth=False, serialize_data=False,
                    pipeline=PIPE[:1] + [dict(type='LoadMappedAnnotations'),
                                         PIPE[1]]),
        target=dict(type='CityscapesUDADataset',
                    data_root=roots['cityscapes'], split='train',
                    num_classes=16, with_labels=False, pipeline=PIPE,
                    serialize_data=False))


def test_pairs_are_deterministic_and_collate(toy_data_root):
    ds = DATASETS.build(_cfg(toy_data_root))
    assert isinstance(ds, SourceTargetDataset) and len(ds) == 6
    assert ds.metainfo['classes'] == ds.target.metainfo['classes']
    js = [ds.target_index(i) for i in range(6)]
    assert all(0 <= j < 4 for j in js)
    assert js == [DATASETS.build(_cfg(toy_data_root)).target_index(i)
                  for i in range(6)]
    assert len(set(js)) > 1
    assert [ds.target_index(i) for i in range(50)] != [
        SourceTargetDataset(ds.source, ds.target, seed=1).target_index(i)
        for i in range(50)]

    item = ds[3]
    assert set(item) == {'inputs', 'data_samples', 'target_inputs',
                         'target_data_samples'}
    assert item['data_samples'].img_path == ds.source.get_data_info(3)[
        'img_path']
    assert item['target_data_samples'].img_path == ds.target.get_data_info(
        js[3])['img_path']
    assert 'gt_sem_seg' in item['data_samples']
    assert 'gt_sem_seg' not in item['target_data_samples']

    batch = pseudo_collate([ds[0], ds[1]])
    assert len(batch['inputs']) == 2 and len(batch['target_inputs']) == 2
    assert batch['target_inputs'][0].shape == (3, 64, 128)

    # InfiniteSampler: same index -> same pair, whatever the epoch.
    sampler = InfiniteSampler(ds, shuffle=True, seed=0)
    idx = [i for _, i in zip(range(14), iter(sampler))]
    assert sorted(idx[:6]) == list(range(6))


def test_bad_pipeline_reports_missing_packing(toy_data_root):
    cfg = _cfg(toy_data_root)
    cfg['target']['pipeline'] = PIPE[:1]
    ds = DATASETS.build(cfg)
    with pytest.raises(TypeError, match='target pipeline must end'):
        ds[0]


def _ddp_worker(rank, world, init_file, roots, out_dir):
    import mmseg_dda  # noqa: F401
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank,
        world_size=world)
    try:
        ds = DATASETS.build(_cfg(roots))
        sampler = DefaultSampler(ds, shuffle=True, seed=0)
        indices = list(iter(sampler))
        loader = torch.utils.data.DataLoader(
            ds, batch_size=2, sampler=sampler, collate_fn=pseudo_collate)
        pairs = []
        for batch in loader:
            for s, t in zip(batch['data_samples'],
                            batch['target_data_samples']):
                pairs.append([s.img_path, t.img_path])
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(dict(indices=indices, pairs=pairs), f)
    finally:
        torch.distributed.destroy_process_group()


def test_ddp_default_sampler_disjoint_paired_shards(toy_data_root,
                                                    tmp_path):
    # fork: the workers start with this process's imports (spawn would
    # import torch and mmseg again in each, seconds per worker). A forked
    # worker that hangs fails the test instead of blocking the suite.
    workers = mp.start_processes(
        _ddp_worker, nprocs=2, join=False, start_method='fork',
        args=(2, str(tmp_path / 'init'), toy_data_root, str(tmp_path)))
    deadline = time.monotonic() + 120
    while not workers.join(timeout=1):
        if time.monotonic() > deadline:
            for proc in workers.processes:
                proc.kill()
            pytest.fail('DDP sampler workers did not finish within 120 s')
    ds = DATASETS.build(_cfg(toy_data_root))
    seen = []
    for rank in range(2):
        with open(tmp_path / f'rank{rank}.json') as f:
            res = json.load(f)
        assert len(res['indices']) == 3 == len(res['pairs'])
        for i, (src, tgt) in zip(res['indices'], res['pairs']):
            assert src == ds.source.get_data_info(i)['img_path']
            assert tgt == ds.target.get_data_info(
                ds.target_index(i))['img_path']
        seen.append(set(res['indices']))
    assert seen[0].isdisjoint(seen[1])
    assert seen[0] | seen[1] == set(range(6))
