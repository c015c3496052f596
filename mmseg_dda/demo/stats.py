"""Summary statistics of the demo study (docs/demo.md "Results").

Paired differences per seed (the arms of a seed share the pre-trained
checkpoint, data order and precision), their mean, sample standard
deviation and two-sided t interval with ``n - 1`` degrees of freedom.
"""
import math
from typing import Sequence, Tuple

from scipy.stats import t as student_t


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``n - 1``; 0 for one value)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError('mean_std: no values')
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, 0.0
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def t_interval(values: Sequence[float],
               confidence: float = 0.95) -> Tuple[float, float, float]:
    """Mean and two-sided ``confidence`` t interval of the mean.

    ``mean ± t_{(1 + confidence) / 2, n - 1} * std / sqrt(n)``.

    Returns:
        tuple: ``(mean, low, high)``.

    Raises:
        ValueError: With fewer than two values (no interval exists).
    """
    if not 0 < confidence < 1:
        raise ValueError(f't_interval: confidence must be in (0, 1), got '
                         f'{confidence}')
    n = len(values)
    if n < 2:
        raise ValueError(f't_interval: needs at least 2 values, got {n}')
    mean, std = mean_std(values)
    half = student_t.ppf((1 + confidence) / 2, n - 1) * std / math.sqrt(n)
    return mean, mean - half, mean + half


def paired(a: Sequence[float], b: Sequence[float]) -> list:
    """Per-seed differences ``a - b`` (same length, same seed order)."""
    if len(a) != len(b):
        raise ValueError(f'paired: {len(a)} values vs {len(b)}')
    return [float(x) - float(y) for x, y in zip(a, b)]
