"""mmseg_dda.compat.config_text: Config.pretty_text formats once per text."""
import mmengine.config.config as mmengine_config
from mmengine.config import Config

import mmseg_dda  # noqa: F401
from mmseg_dda.compat.config_text import install_config_text_cache

CONFIG = 'configs/dda/syn2city_16cls.py'


def test_installed_by_the_package_and_idempotent():
    installed = mmengine_config.FormatCode
    assert installed.memoised
    install_config_text_cache()
    assert mmengine_config.FormatCode is installed


def test_text_equals_mmengines_and_repeats_come_from_the_cache(monkeypatch):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({'train_cfg.max_iters': 12345})  # a text not seen
    cached = mmengine_config.FormatCode
    before = cached.cache_info()
    text = cfg.pretty_text
    assert cfg.pretty_text == text
    after = cached.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert 'max_iters=12345' in text
    # yapf itself, without the cache, gives the same text.
    monkeypatch.setattr(mmengine_config, 'FormatCode', cached.__wrapped__)
    assert cfg.pretty_text == text


def test_a_changed_config_is_formatted_anew():
    cfg = Config.fromfile(CONFIG)
    first = cfg.pretty_text
    cfg.merge_from_dict({'train_cfg.max_iters': 54321})
    assert cfg.pretty_text != first
    assert 'max_iters=54321' in cfg.pretty_text
