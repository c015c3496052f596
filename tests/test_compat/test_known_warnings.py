"""Tests of :mod:`mmseg_dda.compat.known_warnings`."""
import warnings

import pytest

import mmseg_dda  # noqa: F401
from mmseg_dda.compat import known_warnings
from mmseg_dda.compat.known_warnings import (KNOWN_WARNINGS,
                                             filter_known_warnings,
                                             pytest_filter_lines)


def test_known_warnings_are_silenced_others_not():
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter('always')
        filter_known_warnings()
        warnings.warn('``build_loss`` would be deprecated soon', UserWarning)
        warnings.warn('`torch.jit.script` is deprecated. Use x', UserWarning)
        warnings.warn('something else', UserWarning)
    assert [str(w.message) for w in log] == ['something else']


def test_pytest_lines_mirror_the_list():
    lines = pytest_filter_lines()
    assert len(lines) == len(KNOWN_WARNINGS)
    assert lines[0] == 'ignore:``build_loss`` would be deprecated soon:' \
        'UserWarning'


def test_colon_in_message_is_refused(monkeypatch):
    monkeypatch.setattr(known_warnings, 'KNOWN_WARNINGS',
                        (('a: b', UserWarning), ))
    with pytest.raises(ValueError, match="'a: b'"):
        pytest_filter_lines()


def test_suite_applies_the_package_list(pytestconfig):
    """tests/conftest.py adds the list to every test's filters."""
    assert set(pytest_filter_lines()) <= set(
        pytestconfig.getini('filterwarnings'))
    # Inside a test (filters reset by pytest) a known warning is ignored.
    with warnings.catch_warnings(record=True) as log:
        warnings.warn('When align_corners=True, the output would more '
                      'aligned if input size', UserWarning)
    assert not log
