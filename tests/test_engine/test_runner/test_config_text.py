"""TextCachedConfig: the runner's config text, formatted once per content."""
import mmengine.config.config as mmengine_config
from mmengine.config import Config

from mmseg_dda.engine.runner.config_text import TextCachedConfig

CONFIG = 'configs/dda/syn2city_16cls.py'


def _counting_format_code(monkeypatch):
    calls = []
    real = mmengine_config.FormatCode

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mmengine_config, 'FormatCode', counting)
    return calls


def test_text_equals_mmengines_and_repeats_are_cached(monkeypatch):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({'train_cfg.max_iters': 12345})  # a text not seen
    expected = cfg.pretty_text
    cached = TextCachedConfig.of(cfg)
    calls = _counting_format_code(monkeypatch)
    assert cached.pretty_text == expected
    assert cached.pretty_text == expected
    assert len(calls) == 1
    assert 'max_iters=12345' in expected
    # The plain Config is not cached: MMEngine formats on every call.
    cfg.pretty_text
    assert len(calls) == 2


def test_a_changed_config_is_formatted_anew():
    cached = TextCachedConfig.of(Config.fromfile(CONFIG))
    first = cached.pretty_text
    cached.merge_from_dict({'train_cfg.max_iters': 54321})
    assert cached.pretty_text != first
    assert 'max_iters=54321' in cached.pretty_text


def test_copies_stay_cached_configs():
    import copy
    cached = TextCachedConfig.of(Config.fromfile(CONFIG))
    assert type(copy.deepcopy(cached)) is TextCachedConfig
    assert copy.deepcopy(cached).pretty_text == cached.pretty_text
