"""Range-checked argparse types shared by every tool.

A count of 0 or a negative threshold reached library code and failed there
(``tools/fit_gmm.py --components 0`` ended in a scikit-learn traceback).
These types refuse it where it enters, in argparse's one-line form::

    fit_gmm.py: error: argument --components: must be an integer >= 1, got 0

Every float type also refuses ``nan`` and ``inf`` unless the range is
unbounded on that side.
"""
import argparse
import math
from typing import Callable, Optional


def int_at_least(minimum: int) -> Callable[[str], int]:
    """Type: an integer ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'must be an integer >= {minimum}, got {text!r}') from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f'must be >= {minimum}, got {value}')
        return value

    parse.__name__ = f'integer >= {minimum}'
    return parse


#: A count: 1 or more.
positive_int = int_at_least(1)
#: 0 or more (seeds, worker counts).
non_negative_int = int_at_least(0)


def float_range(low: Optional[float] = None, high: Optional[float] = None,
                low_open: bool = False,
                high_open: bool = False) -> Callable[[str], float]:
    """Type: a finite float in ``[low, high]`` (``(`` / ``)`` when open).

    ``None`` leaves that side unbounded.
    """
    left = '(' if low_open else '['
    right = ')' if high_open else ']'
    lo = '-inf' if low is None else f'{low:g}'
    hi = 'inf' if high is None else f'{high:g}'
    span = f'{left}{lo}, {hi}{right}'

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'must be a number in {span}, got {text!r}') from None
        bad = math.isnan(value) or (
            low is not None and (value < low or (low_open and value == low))
        ) or (high is not None and (value > high or
                                    (high_open and value == high)))
        if bad:
            raise argparse.ArgumentTypeError(
                f'must be a number in {span}, got {text}')
        return value

    parse.__name__ = f'number in {span}'
    return parse


#: A fraction such as an opacity: ``[0, 1]``.
unit_interval = float_range(0.0, 1.0)
#: A positive finite number.
positive_float = float_range(0.0, math.inf, low_open=True, high_open=True)
