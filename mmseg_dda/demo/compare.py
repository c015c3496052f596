"""Two runs of the demo side by side (docs/demo.md "Tolerance across CPUs
and precisions").

``python -m mmseg_dda.demo.compare RUN_A RUN_B`` reads the seed files of two
output folders of ``tools/run_demo.py`` made with the same design and data
on other machines, precisions or library builds, and prints per row, over
the seeds both runs have: the two means, their difference, the standard
deviation of the per-seed moves ``B - A`` and the correlation of the
per-seed values. From the moves it derives the tolerance of a mean over
``--seeds-per-mean`` seeds (the ``make demo`` mean): the two-sided 95 %
prediction bound ``t_{0.975, n - 1} * sd(moves) / sqrt(m)`` for the
difference of two such means, at least :data:`~.summary.TOLERANCE`. The
paired differences of :data:`~.summary.DIFFS` follow, with the sd of their
per-seed moves. ``docs/demo_expected.md`` holds the tolerances that
``make demo`` checks.
"""
import argparse
import math
from typing import Dict, List

import numpy as np
from scipy.stats import t as student_t

from .stats import mean_std, paired
from .summary import (DIFFS, ROWS, TOLERANCE, experiment_design,
                      load_results)
#: The source model on held-out source images (compared too; not checked).
SOURCE_VAL = 'pretrain_source_val'


def _experiment(result: dict) -> dict:
    return dict(design=experiment_design(result['design']),
                data=result.get('key', {}).get('data'))


def check_same_experiment(a: Dict[int, dict], b: Dict[int, dict],
                          names=('A', 'B')) -> List[int]:
    """The seeds both runs have; raises ``ValueError`` naming the run and
    the setting when the two are not the same design and data."""
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        raise ValueError(f'{names[0]} and {names[1]} share {len(seeds)} '
                         'training seed(s); at least 2 are needed')
    ref = _experiment(a[seeds[0]])
    for name, run in zip(names, (a, b)):
        for s in seeds:
            exp = _experiment(run[s])
            for part in ('design', 'data'):
                mine, first = exp[part] or {}, ref[part] or {}
                if mine != first:
                    diff = sorted(k for k in mine.keys() | first.keys()
                                  if mine.get(k) != first.get(k))
                    raise ValueError(
                        f'{name}/seed{s}.json: another {part} than '
                        f'{names[0]}/seed{seeds[0]}.json (differs in '
                        f'{", ".join(diff) or part}); only runs of one '
                        'experiment can be compared')
    return seeds


def _values(run: Dict[int, dict], seeds: List[int], key: str):
    """The per-seed mIoU of a row (None when a seed lacks it)."""
    if key == SOURCE_VAL:
        found = [run[s].get('extra', {}).get(SOURCE_VAL) for s in seeds]
    else:
        found = [run[s]['rows'].get(key) for s in seeds]
    return None if None in found else [r['mIoU'] for r in found]


def _difference(run: Dict[int, dict], seeds: List[int], hi: str, lo: str):
    """The per-seed paired difference ``hi - lo`` (None when one lacks)."""
    vh, vl = _values(run, seeds, hi), _values(run, seeds, lo)
    return None if vh is None or vl is None else paired(vh, vl)


def compare_rows(a: Dict[int, dict], b: Dict[int, dict], seeds: List[int],
                 seeds_per_mean: int = 3, differences: bool = False
                 ) -> List[dict]:
    """Per row of :data:`~.summary.ROWS` that both runs have on ``seeds``,
    and the source model on held-out source images (:data:`SOURCE_VAL`)
    (``differences``: per paired difference of :data:`~.summary.DIFFS`
    instead): ``row, name, mean_a, mean_b, diff, move_sd, corr,
    tolerance``."""
    out = []
    n = len(seeds)
    t = student_t.ppf(0.975, n - 1)
    if differences:
        items = [(f'{hi} − {lo}', name, _difference(a, seeds, hi, lo),
                  _difference(b, seeds, hi, lo)) for name, hi, lo in DIFFS]
    else:
        items = [(key, name, _values(a, seeds, key), _values(b, seeds, key))
                 for key, name in ROWS + ((SOURCE_VAL, 'source pre-training '
                                           'on held-out source images'), )]
    for key, name, va, vb in items:
        if va is None or vb is None:
            continue
        mean_a, mean_b = mean_std(va)[0], mean_std(vb)[0]
        move_sd = mean_std(paired(vb, va))[1]
        corr = (float(np.corrcoef(va, vb)[0, 1])
                if np.std(va) > 0 and np.std(vb) > 0 else float('nan'))
        out.append(dict(
            row=key, name=name, mean_a=mean_a, mean_b=mean_b,
            diff=mean_b - mean_a, move_sd=move_sd, corr=corr,
            tolerance=max(TOLERANCE,
                          t * move_sd / math.sqrt(seeds_per_mean))))
    return out


def format_comparison(rows: List[dict], seeds: List[int], names,
                      seeds_per_mean: int, differences=()) -> str:
    lines = [
        f'A = {names[0]}, B = {names[1]}; {len(seeds)} common training '
        f'seeds {seeds}; mIoU on the target val images ({SOURCE_VAL}: on '
        'held-out source images).', '',
        '| row | mean A | mean B | B − A | sd of the per-seed moves | '
        'correlation A, B | tolerance of a '
        f'{seeds_per_mean}-seed mean |', '|---|---|---|---|---|---|---|'
    ]
    for r in rows:
        lines.append(
            f"| {r['row']} | {r['mean_a']:.2f} | {r['mean_b']:.2f} | "
            f"{r['diff']:+.2f} | {r['move_sd']:.2f} | {r['corr']:.2f} | "
            f"±{r['tolerance']:.2f} |")
    off = [r['row'] for r in rows if abs(r['diff']) > TOLERANCE]
    lines += ['', f'Rows whose means differ by more than ±{TOLERANCE}: ' +
              (', '.join(off) if off else 'none') + '.',
              'Tolerance: the 95 % prediction bound of the difference of two '
              f'{seeds_per_mean}-seed means, t(0.975, {len(seeds) - 1}) × sd '
              f'of the moves / √{seeds_per_mean}, at least ±{TOLERANCE}.']
    if differences:
        lines += ['', 'Paired differences within each run (mean over the '
                  'seeds) and the sd of their per-seed moves B − A:', '',
                  '| difference | mean A | mean B | B − A | sd of the '
                  'per-seed moves |', '|---|---|---|---|---|']
        lines += [f"| {r['name']} | {r['mean_a']:+.2f} | {r['mean_b']:+.2f} "
                  f"| {r['diff']:+.2f} | {r['move_sd']:.2f} |"
                  for r in differences]
    return '\n'.join(lines)


def main(argv=None) -> None:
    """Compare two demo output folders of the same design:
    ``python -m mmseg_dda.demo.compare RUN_A RUN_B``."""
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument('run_a', help='output folder of tools/run_demo.py')
    p.add_argument('run_b', help='output folder of the same design made '
                   'on another machine, precision or library build')
    p.add_argument('--seeds-per-mean', type=int, default=3,
                   help='seeds in the mean whose tolerance is derived '
                   '(make demo: 3)')
    args = p.parse_args(argv)
    if args.seeds_per_mean < 1:
        p.error(f'--seeds-per-mean must be >= 1, got {args.seeds_per_mean}')
    a, b = load_results(args.run_a), load_results(args.run_b)
    names = (args.run_a, args.run_b)
    try:
        seeds = check_same_experiment(a, b, names)
    except ValueError as e:
        raise SystemExit(f'error: {e}')
    rows = compare_rows(a, b, seeds, args.seeds_per_mean)
    diffs = compare_rows(a, b, seeds, args.seeds_per_mean, differences=True)
    print(format_comparison(rows, seeds, names, args.seeds_per_mean, diffs))


if __name__ == '__main__':
    main()
