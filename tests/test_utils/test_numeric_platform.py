"""Tests of the numeric platform key."""
import re

import torch

from mmseg_dda.utils import numeric_platform as np_mod


def test_key_names_torch_vendor_and_capability():
    key = np_mod.numeric_platform()
    version = torch.__version__.split('+')[0]
    assert key.startswith(f'torch{version}-')
    assert torch.backends.cpu.get_cpu_capability() in key
    assert re.fullmatch(r'torch[\w.]+-[\w]+-\w+(-amx)?', key), key


def test_amx_flag_is_part_of_the_key(monkeypatch):
    monkeypatch.setattr(np_mod, 'cpu_vendor', lambda: 'GenuineIntel')
    monkeypatch.setattr(np_mod, 'has_amx', lambda: True)
    assert np_mod.numeric_platform().endswith('-amx')
    monkeypatch.setattr(np_mod, 'cpu_vendor', lambda: 'AuthenticAMD')
    monkeypatch.setattr(np_mod, 'has_amx', lambda: False)
    key = np_mod.numeric_platform()
    assert '-AuthenticAMD-' in key and not key.endswith('-amx')
