"""mmseg_dda.utils.provenance: output-folder manifests."""
import json

import pytest
import torch

from mmseg_dda.utils.provenance import (StaleOutputError, diff_fields,
                                        prepare_output_dir, read_manifest,
                                        sha256_state_dict)


def _is_out(name):
    return name.endswith('.out')


def test_new_folder_resume_and_refusal(tmp_path):
    folder = tmp_path / 'f'
    m = prepare_output_dir(str(folder), 'k', dict(a=1, b=(2, 3)), _is_out,
                           info=dict(note='x'))
    assert m == read_manifest(str(folder))
    assert m['inputs'] == dict(a=1, b=[2, 3]) and m['info'] == dict(note='x')
    (folder / 'x.out').write_text('1')
    # Same inputs (tuples and lists compare equal): a resume, no rewrite.
    assert prepare_output_dir(str(folder), 'k', dict(a=1, b=[2, 3]),
                              _is_out)['info'] == dict(note='x')
    with pytest.raises(StaleOutputError,
                       match=rf'^{folder} was made from other inputs '
                       rf'\({folder}/manifest\.json\): a: old 1 vs new 2; '
                       r'c: old "<not recorded>" vs new 0\. '):
        prepare_output_dir(str(folder), 'k', dict(a=2, b=[2, 3], c=0),
                           _is_out)
    with pytest.raises(StaleOutputError, match=r"holds 'k', not 'other'"):
        prepare_output_dir(str(folder), 'other', dict(a=1, b=[2, 3]),
                           _is_out)
    assert (folder / 'x.out').exists()


def test_overwrite_deletes_only_outputs_and_temp_files(tmp_path):
    folder = tmp_path / 'f'
    folder.mkdir()
    for name in ('a.out', '.a.out.123.tmp', 'keep.txt'):
        (folder / name).write_text('1')
    with pytest.raises(StaleOutputError, match=r'holds 1 output files '
                       r'\(e\.g\. a\.out\) but no manifest\.json'):
        prepare_output_dir(str(folder), 'k', {}, _is_out)
    logs = []
    prepare_output_dir(str(folder), 'k', dict(a=1), _is_out, overwrite=True,
                       log=logs.append)
    assert sorted(p.name for p in folder.iterdir()) == ['keep.txt',
                                                        'manifest.json']
    assert logs == [f'--overwrite: deleted 2 old files in {folder}']


def test_unreadable_manifest(tmp_path):
    (tmp_path / 'manifest.json').write_text('{not json')
    with pytest.raises(ValueError, match=r'manifest\.json: unreadable '
                       'manifest'):
        read_manifest(str(tmp_path))
    (tmp_path / 'manifest.json').write_text(json.dumps([1]))
    with pytest.raises(ValueError, match='not a manifest'):
        read_manifest(str(tmp_path))
    # --overwrite recovers the folder.
    prepare_output_dir(str(tmp_path), 'k', {}, _is_out, overwrite=True)
    assert read_manifest(str(tmp_path))['kind'] == 'k'


def test_state_dict_hash_ignores_order_but_not_values():
    a = dict(w=torch.ones(2, 3), b=torch.zeros(3), n=torch.tensor(4))
    b = dict(n=torch.tensor(4), b=torch.zeros(3), w=torch.ones(2, 3))
    assert sha256_state_dict(a) == sha256_state_dict(b)
    b['w'] = b['w'].clone()
    b['w'][0, 0] = 1.0000001
    assert sha256_state_dict(a) != sha256_state_dict(b)
    assert sha256_state_dict(a) != sha256_state_dict(
        dict(a, w=torch.ones(3, 2)))  # shape counts
    assert sha256_state_dict(a) != sha256_state_dict(
        dict(a, w=torch.ones(2, 3, dtype=torch.float64)))  # dtype counts


def test_diff_fields_only_known_keys():
    assert diff_fields(dict(a=1, b=2), dict(a=1), keys=['a']) == []
    assert diff_fields(dict(a=[1]), dict(a=(1, ))) == []


def test_output_name_patterns():
    from mmseg_dda.datasets.formats.density_maps import is_density_output
    from mmseg_dda.pseudo_labels import is_pseudo_label_output
    assert is_density_output('0000001.npy')
    assert is_density_output('0000001-15.tiff')
    assert not is_density_output('.0000001.npy.ab12.tmp')
    assert not is_density_output('manifest.json')
    assert is_pseudo_label_output('a_leftImg8bit.png.png')
    assert is_pseudo_label_output('x.jpg.tiff')
    # Images (a folder of them passed as --out by mistake) are not outputs.
    assert not is_pseudo_label_output('a_leftImg8bit.png')
    assert not is_pseudo_label_output('.a.png.png.x1.tmp')
