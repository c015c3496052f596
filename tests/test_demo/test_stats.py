"""mmseg_dda.demo.stats: mean ± std and t intervals, hand-computed."""
import pytest

from mmseg_dda.demo.stats import mean_std, paired, t_interval


def test_mean_std_sample_std():
    # mean 2.5; sample variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5 / 3.
    mean, std = mean_std([1, 2, 3, 4])
    assert mean == 2.5
    assert std == pytest.approx((5 / 3)**0.5, abs=1e-12)
    assert mean_std([7.0]) == (7.0, 0.0)
    with pytest.raises(ValueError, match='no values'):
        mean_std([])


def test_t_interval_hand_computed():
    # t_{0.975, 3} = 3.182446; half = 3.182446 * 1.290994 / 2 = 2.054261.
    mean, lo, hi = t_interval([1, 2, 3, 4])
    assert mean == 2.5
    assert lo == pytest.approx(2.5 - 2.054261, abs=1e-5)
    assert hi == pytest.approx(2.5 + 2.054261, abs=1e-5)
    # n = 2: t_{0.975, 1} = 12.706205, std = sqrt(2), half = 12.706205.
    mean, lo, hi = t_interval([0.0, 2.0])
    assert (lo, hi) == pytest.approx((1 - 12.706205, 1 + 12.706205),
                                     abs=1e-5)
    # 90 %: t_{0.95, 3} = 2.353363.
    _, lo, _ = t_interval([1, 2, 3, 4], 0.90)
    assert lo == pytest.approx(2.5 - 2.353363 * 1.290994 / 2, abs=1e-5)


def test_t_interval_refuses_bad_input():
    with pytest.raises(ValueError, match='at least 2'):
        t_interval([1.0])
    with pytest.raises(ValueError, match='confidence'):
        t_interval([1.0, 2.0], 1.5)


def test_paired_differences():
    assert paired([3, 5], [1, 1]) == [2.0, 4.0]
    with pytest.raises(ValueError, match='2 values vs 1'):
        paired([1, 2], [1])
