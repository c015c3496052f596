"""Every config resolves its ``{{_base_.x}}`` references to real values.

MMEngine substitutes a ``{{_base_.x}}`` used inside an expression (e.g.
``{{_base_.data_root}} + '/cityscapes'``) with a placeholder string such as
``_data_root_25ac19``; the config then loads, and fails (or reads the wrong
folder) only when run on its own.
"""
import re
from pathlib import Path

import pytest
from mmengine.config import Config

import mmseg_dda  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p.relative_to(REPO).as_posix()
                 for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)
PLACEHOLDER = re.compile(r'_[A-Za-z0-9_]+_[0-9a-f]{6}\b')


def _strings(value, path=''):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f'{path}.{k}' if path else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f'{path}[{i}]')
    elif isinstance(value, str):
        yield path, value


@pytest.mark.parametrize('config', CONFIGS)
def test_no_placeholder_strings(config):
    cfg = Config.fromfile(str(REPO / config)).to_dict()
    bad = [(k, v) for k, v in _strings(cfg) if PLACEHOLDER.search(v)]
    assert not bad, f'{config}: unresolved _base_ references {bad}'
