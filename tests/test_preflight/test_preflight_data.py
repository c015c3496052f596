"""Dataset roots, split lists, pairing: a missing folder, a short split,
incomplete density maps."""
import os

import mmseg_dda  # noqa: F401
from mmseg_dda.preflight import run_preflight
from mmseg_dda.preflight.data import build_listing, dataset_configs
from mmseg_dda.preflight.report import FAIL

from _preflight_rows import only_failure


def test_listing_uses_the_dataset_class(tiny_cfg):
    roles = [r for r, _, _ in dataset_configs(tiny_cfg)]
    assert roles == ['train source', 'train target', 'val']
    ds = build_listing(tiny_cfg.train_dataloader.dataset.source)
    assert type(ds).__name__ == 'SynthiaDataset' and len(ds) == 6
    assert ds.missing == {}


def test_missing_folder(own_data_cfg, tmp_path):
    cfg, syn, _ = own_data_cfg
    cfg.train_dataloader.dataset.source.data_root = str(tmp_path / 'nowhere')
    row, maps = run_preflight(cfg).failures
    assert row.group == 'data' and row.status == FAIL
    assert row.detail == ('SynthiaDataset: data_root not found: '
                          f'{tmp_path / "nowhere"}')
    assert 'download SYNTHIA-RAND-CITYSCAPES' in row.fix
    assert 'train_dataloader.dataset.source.data_root=PATH' in row.fix
    # The STEP-1 maps inside it are named too, with the step that makes them.
    assert maps.detail == (f'{tmp_path}/nowhere/source_density_maps/tiny not '
                           'found (STEP 1 output)')
    assert maps.fix.endswith(f'tools/gen_density_maps.py {cfg.filename}')


def test_short_split(own_data_cfg):
    """A split list naming more images than the folder holds."""
    cfg, syn, _ = own_data_cfg
    names = sorted(os.listdir(syn / 'RGB'))
    (syn / 'split.txt').write_text('\n'.join(names + ['0000100.png',
                                                      '0000101.png']))
    cfg.train_dataloader.dataset.source.ann_file = str(syn / 'split.txt')
    row = only_failure(run_preflight(cfg))
    assert row.name == 'SynthiaDataset (train source)'
    lines = row.detail.splitlines()
    assert lines[0].startswith(f'8 entries in {syn / "split.txt"}: '
                               '6 images, 6 labels, 6 depth maps')
    assert lines[1] == (f'2 of 8 images missing, e.g. {syn}/RGB/0000100.png'
                        f', {syn}/RGB/0000101.png')
    assert lines[2] == (f'2 of 8 labels missing, e.g. {syn}/parsed_LABELS/'
                        f'0000100.png, {syn}/parsed_LABELS/0000101.png')


def test_incomplete_density_maps(own_data_cfg):
    cfg, syn, _ = own_data_cfg
    maps = syn / 'source_density_maps' / 'tiny'
    for stem in ('0000002', '0000004'):
        os.remove(maps / f'{stem}.npy')
    row = only_failure(run_preflight(cfg))
    assert row.group == 'data'
    assert row.detail.splitlines()[1] == (
        f'2 of 6 density maps missing, e.g. {maps}/0000002.npy, '
        f'{maps}/0000004.npy')
    assert row.fix.startswith(f'tools/gen_density_maps.py {cfg.filename}')
