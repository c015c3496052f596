"""MMEngine formats the whole config with yapf each time it prints it.

**Upstream problem.** ``Config.pretty_text`` (MMEngine 0.10.7) runs yapf's
``FormatCode`` over the full config text on every call, and one training
run calls it five to six times with the same config: the environment log,
the config dump into the work_dir, ``RuntimeInfoHook`` and the ``meta`` of
every checkpoint. For this project's configs a call takes about 0.3 s on
the benchmark CPU, so a short run (tests, the demo's steps, a resumed job)
spends more time formatting its config than training.

**Fix.** :func:`install_config_text_cache` memoises ``FormatCode`` in
``mmengine.config.config`` by its arguments (the unformatted text and the
style). yapf is deterministic, so every text is the one MMEngine would
print; only repeated formatting is skipped.

**Needed by.** MMEngine <= 0.10.7. **Can go** when ``pretty_text`` is cheap
(time ``Config.fromfile('configs/dda/syn2city_16cls.py').pretty_text``
twice) or if ``mmengine.config.config`` stops importing ``FormatCode`` by
name (then ``tests/test_compat/test_config_text.py`` fails and tells).
"""
import functools
import json

import mmengine.config.config as mmengine_config

#: Formatted texts kept (one per distinct config text of the process).
CACHE_SIZE = 64


def install_config_text_cache() -> None:
    """Memoise yapf's ``FormatCode`` for ``Config.pretty_text``
    (idempotent)."""
    format_code = mmengine_config.FormatCode
    if getattr(format_code, 'memoised', False):
        return

    @functools.lru_cache(maxsize=CACHE_SIZE)
    def _format(text: str, style_json: str, kwargs_json: str):
        return format_code(text, style_config=json.loads(style_json),
                           **json.loads(kwargs_json))

    @functools.wraps(format_code)
    def cached_format_code(text, style_config=None, **kwargs):
        try:
            key = (json.dumps(style_config, sort_keys=True),
                   json.dumps(kwargs, sort_keys=True))
        except TypeError:  # not JSON: format without the cache
            return format_code(text, style_config=style_config, **kwargs)
        return _format(text, *key)

    cached_format_code.memoised = True
    cached_format_code.cache_info = _format.cache_info
    mmengine_config.FormatCode = cached_format_code
