"""The runner's config formats its text once per content.

``Config.pretty_text`` (MMEngine 0.10.7) runs yapf over the whole config on
every call, and one training run asks for it five to six times with the
same config (environment log, config dump, ``RuntimeInfoHook``, the
``meta`` of every checkpoint): about 0.23 s a call for
``configs/dda/syn2city_16cls.py`` and 0.1 s for a demo config (2-core CPU,
``Config.fromfile(p).pretty_text``), more than a short run (tests, demo
steps, a resumed job) spends on some of its steps.
:class:`TextCachedConfig` is the :class:`~mmengine.config.Config` that
:class:`~mmseg_dda.engine.DDARunner` holds: its ``pretty_text`` is
memoised by the config's content, so a changed config is formatted anew.
Other ``Config`` objects are untouched.
"""
from collections import OrderedDict

from mmengine.config import Config

#: Formatted texts kept (one per distinct config content of the process).
CACHE_SIZE = 32


class TextCachedConfig(Config):
    """A :class:`Config` whose ``pretty_text`` is formatted once per content.
    """

    _texts: 'OrderedDict[str, str]' = OrderedDict()

    @classmethod
    def of(cls, cfg: Config) -> 'TextCachedConfig':
        """The same config (shared contents) as a :class:`TextCachedConfig`,
        made as :meth:`Config.__copy__` makes a copy."""
        if isinstance(cfg, cls):
            return cfg
        other = cls.__new__(cls)
        other.__dict__.update(cfg.__dict__)
        return other

    @property
    def pretty_text(self) -> str:
        key = repr((self.filename, self._format_python_code,
                    self._cfg_dict.to_dict()))
        texts = TextCachedConfig._texts
        if key not in texts:
            texts[key] = super().pretty_text
            if len(texts) > CACHE_SIZE:
                texts.popitem(last=False)
        texts.move_to_end(key)
        return texts[key]
