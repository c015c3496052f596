"""env_cfg.malloc_cfg: glibc allocator settings (mmseg_dda.utils.malloc_tuning)."""
import ctypes.util

import pytest
from mmengine.config import Config

from mmseg_dda.utils import malloc_tuning
from mmseg_dda.engine.runner.dda_runner import DDARunner
from mmseg_dda.utils.malloc_tuning import (DEFAULT_MALLOC_CFG, INT_MAX,
                                           MALLOPT_PARAMS, apply_malloc_cfg,
                                           trim_free_memory)

GLIBC = malloc_tuning._libc() is not None


class FakeLibc:
    """Records ``mallopt`` calls; answers like glibc (1 = accepted)."""

    def __init__(self, answer=1):
        self.calls, self.answer = [], answer

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return self.answer

    def malloc_trim(self, pad):
        self.calls.append(('trim', pad))
        return 1


def test_mallopt_numbers_are_glibcs():
    # <malloc.h>: M_TRIM_THRESHOLD -1, M_TOP_PAD -2, M_MMAP_THRESHOLD -3,
    # M_MMAP_MAX -4.
    assert MALLOPT_PARAMS == dict(trim_threshold=-1, top_pad=-2,
                                  mmap_threshold=-3, mmap_max=-4)


def test_each_setting_reaches_mallopt(monkeypatch):
    libc = FakeLibc()
    monkeypatch.setattr(malloc_tuning, '_libc', lambda: libc)
    assert apply_malloc_cfg(dict(mmap_max=0, trim_threshold=INT_MAX))
    assert sorted(libc.calls) == [(-4, 0), (-1, INT_MAX)]


@pytest.mark.parametrize('cfg', [None, {}])
def test_nothing_to_apply(monkeypatch, cfg):
    libc = FakeLibc()
    monkeypatch.setattr(malloc_tuning, '_libc', lambda: libc)
    assert apply_malloc_cfg(cfg) is False
    assert libc.calls == []


@pytest.mark.parametrize('cfg, match', [
    (dict(mmap_treshold=1), "unknown keys \\['mmap_treshold'\\]"),
    (dict(top_pad=-1), 'top_pad=-1: expected an integer'),
    (dict(trim_threshold=INT_MAX + 1), 'trim_threshold=2147483648'),
    (dict(mmap_max=1.5), 'mmap_max=1.5'),
])
def test_bad_settings_are_named(monkeypatch, cfg, match):
    libc = FakeLibc()
    monkeypatch.setattr(malloc_tuning, '_libc', lambda: libc)
    with pytest.raises(ValueError, match=match):
        apply_malloc_cfg(cfg)
    assert libc.calls == []  # checked before anything is applied


def test_refused_setting_is_named(monkeypatch):
    monkeypatch.setattr(malloc_tuning, '_libc', lambda: FakeLibc(answer=0))
    with pytest.raises(ValueError, match='mmap_threshold=5: refused'):
        apply_malloc_cfg(dict(mmap_threshold=5))


def test_without_glibc_nothing_is_applied(monkeypatch):
    monkeypatch.setattr(malloc_tuning, '_libc', lambda: None)
    assert apply_malloc_cfg(DEFAULT_MALLOC_CFG) is False
    assert trim_free_memory() is False


def test_trim_frees_the_whole_heap(monkeypatch):
    libc = FakeLibc()
    monkeypatch.setattr(malloc_tuning, '_libc', lambda: libc)
    assert trim_free_memory() is True
    assert libc.calls == [('trim', 0)]


@pytest.mark.skipif(not GLIBC or ctypes.util.find_library('c') is None,
                    reason='needs glibc')
def test_real_glibc_accepts_the_default():
    # Applying the default to this process is harmless (it is what every
    # training run does) and checks that glibc takes each value.
    assert apply_malloc_cfg(DEFAULT_MALLOC_CFG) is True


def test_default_runtime_sets_the_default():
    cfg = Config.fromfile('configs/_base_/default_runtime.py')
    assert cfg.env_cfg.malloc_cfg == DEFAULT_MALLOC_CFG


def test_runner_applies_env_cfg(monkeypatch):
    applied = []
    monkeypatch.setattr('mmseg_dda.engine.runner.dda_runner.apply_malloc_cfg',
                        applied.append)
    monkeypatch.setattr('mmengine.runner.Runner.setup_env',
                        lambda self, env_cfg: None)
    runner = DDARunner.__new__(DDARunner)  # no __init__: no run
    runner.setup_env(dict(malloc_cfg=dict(mmap_max=0)))
    assert applied == [dict(mmap_max=0)]
