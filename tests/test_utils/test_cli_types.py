"""mmseg_dda.utils.cli_types and threads: the shared argparse types."""
import argparse

import pytest

from mmseg_dda.utils.cli_types import (float_range, int_at_least,
                                       positive_float, positive_int,
                                       unit_interval)


@pytest.mark.parametrize('kind,text,message', [
    (positive_int, '0', 'must be >= 1, got 0'),
    (positive_int, '2.5', "must be an integer >= 1, got '2.5'"),
    (int_at_least(8), '7', 'must be >= 8, got 7'),
    (unit_interval, '-0.1', 'must be a number in [0, 1], got -0.1'),
    (unit_interval, 'nan', 'must be a number in [0, 1], got nan'),
    (positive_float, '0', 'must be a number in (0, inf), got 0'),
    (positive_float, 'inf', 'must be a number in (0, inf), got inf'),
    (float_range(0, 1, high_open=True), '1', 'must be a number in [0, 1), '
     'got 1'),
    (float_range(), 'x', "must be a number in [-inf, inf], got 'x'"),
])
def test_refused_values(kind, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as exc:
        kind(text)
    assert str(exc.value) == message


def test_accepted_values():
    assert positive_int('3') == 3
    assert unit_interval('0') == 0.0 and unit_interval('1') == 1.0
    assert positive_float('1e-9') == 1e-9
    assert float_range(None, 0)('-5') == -5.0
