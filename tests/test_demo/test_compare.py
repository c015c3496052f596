"""mmseg_dda.demo.compare: two demo runs side by side, the tolerance of a
mean derived from the per-seed moves, and the refusal to compare runs of
different experiments."""
import json
import math

import pytest
from scipy.stats import t as student_t

from mmseg_dda.demo import compare, summary


def _run(values, design=None, data=None):
    """``{seed: result}`` with a ``dda`` row of the given per-seed mIoU and
    a ``source_only`` row 1 below it."""
    design = design or dict(iters=60, lr=0.005, bf16=False)
    return {s: dict(seed=s, design=dict(design), key=dict(data=data or
                                                           dict(seed=0)),
                    rows=dict(dda=dict(mIoU=v),
                              source_only=dict(mIoU=v - 1.0)),
                    extra=dict(pretrain_source_val=dict(mIoU=60.0 + v / 10)))
            for s, v in enumerate(values)}


def test_moves_and_tolerance_by_hand():
    a = _run([40.0, 44.0, 42.0, 46.0])
    b = _run([41.0, 42.0, 45.0, 46.0], dict(iters=60, lr=0.005, bf16=True,
                                           channels_last=True))
    seeds = compare.check_same_experiment(a, b)
    assert seeds == [0, 1, 2, 3]
    source_only, row, source = compare.compare_rows(a, b, seeds,
                                                    seeds_per_mean=3)
    assert source_only['row'] == 'source_only'
    assert source['row'] == 'pretrain_source_val'
    assert source['diff'] == pytest.approx(0.05)
    # Moves +1, -2, +3, 0: mean +0.5, sample sd sqrt(13/3).
    sd = math.sqrt(13 / 3)
    assert row['row'] == 'dda'
    assert row['diff'] == pytest.approx(0.5)
    assert row['move_sd'] == pytest.approx(sd)
    assert row['tolerance'] == pytest.approx(
        student_t.ppf(0.975, 3) * sd / math.sqrt(3))
    # A small spread gives the least tolerance.
    _, flat, _ = compare.compare_rows(a, _run([40.1, 44.0, 42.1, 46.0]),
                                      seeds)
    assert flat['tolerance'] == summary.TOLERANCE
    # DDA − source only is +1 on every seed of both runs: no move.
    (diff,) = compare.compare_rows(a, b, seeds, differences=True)
    assert diff['row'] == 'dda − source_only'
    assert (diff['mean_a'], diff['mean_b'], diff['move_sd']) == (1, 1, 0)


def test_refuses_runs_of_another_experiment():
    a = _run([40.0, 44.0, 42.0])
    with pytest.raises(ValueError, match=r'B/seed0.json: another design .*'
                       r'differs in lr'):
        compare.check_same_experiment(
            a, _run([1.0, 2.0, 3.0], dict(iters=60, lr=0.01, bf16=False)))
    with pytest.raises(ValueError, match='another data'):
        compare.check_same_experiment(
            a, _run([1.0, 2.0, 3.0], data=dict(seed=1)))
    with pytest.raises(ValueError, match='share 1 training seed'):
        compare.check_same_experiment(a, {0: a[0]})


def test_command_line(tmp_path, capsys):
    for name, values in (('a', [40.0, 44.0, 42.0]), ('b', [41.0, 43.0,
                                                           42.0])):
        (tmp_path / name).mkdir()
        for s, res in _run(values).items():
            (tmp_path / name / f'seed{s}.json').write_text(json.dumps(res))
    compare.main([str(tmp_path / 'a'), str(tmp_path / 'b')])
    out = capsys.readouterr().out
    assert '| dda | 42.00 | 42.00 | +0.00 | 1.00 |' in out
    assert 'more than ±1.5: none' in out
    assert '| DDA − source only | +1.00 | +1.00 | +0.00 | 0.00 |' in out
    other = _run([1.0, 2.0, 3.0], dict(iters=30, lr=0.005, bf16=False))
    for s, res in other.items():
        (tmp_path / 'b' / f'seed{s}.json').write_text(json.dumps(res))
    with pytest.raises(SystemExit, match='differs in iters'):
        compare.main([str(tmp_path / 'a'), str(tmp_path / 'b')])
