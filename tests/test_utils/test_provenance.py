"""mmseg_dda.utils.provenance: output-folder manifests."""
import json

import pytest
import torch

from mmseg_dda.utils.provenance import (diff_fields, read_manifest,
                                        sha256_state_dict)


def test_unreadable_manifest(tmp_path):
    (tmp_path / 'manifest.json').write_text('{not json')
    with pytest.raises(ValueError, match=r'manifest\.json: unreadable '
                       'manifest'):
        read_manifest(str(tmp_path))
    (tmp_path / 'manifest.json').write_text(json.dumps([1]))
    with pytest.raises(ValueError, match='not a manifest'):
        read_manifest(str(tmp_path))


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
