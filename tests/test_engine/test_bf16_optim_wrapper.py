"""CPU feature check of the fast mode (mmseg_dda.engine.bf16_optim_wrapper).

The wrapper and the config switch are tested with the model in
tests/test_models/test_uda/test_dda_speed_modes.py.
"""
import torch

from mmseg_dda.engine import cpu_has_bf16_units


def test_cpu_has_bf16_units_reads_torchs_feature_checks(monkeypatch):
    for avx512_bf16, amx in ((False, False), (True, False), (False, True)):
        monkeypatch.setattr(torch.cpu, '_is_avx512_bf16_supported',
                            lambda v=avx512_bf16: v)
        monkeypatch.setattr(torch.cpu, '_is_amx_tile_supported',
                            lambda v=amx: v)
        assert cpu_has_bf16_units() == (avx512_bf16 or amx)


def test_a_torch_without_the_checks_has_no_bf16_units(monkeypatch):
    monkeypatch.delattr(torch.cpu, '_is_avx512_bf16_supported')
    monkeypatch.delattr(torch.cpu, '_is_amx_tile_supported')
    assert cpu_has_bf16_units() is False
