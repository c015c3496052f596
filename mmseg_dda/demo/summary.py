"""The demo's printed summary (docs/demo.md "Results").

Per row the mean ± std of the mIoU over the seeds; the paired differences
with their 95 % t intervals; the per-class IoU; self-training's
pseudo-labels; the discriminator's accuracy; the mechanism check; the source
pre-training's mIoU on held-out source images; times. The means are compared
with the reference means of ``docs/demo_expected.md``, each within its
tolerance there (:mod:`.compare` derives them).
"""
import json
import os.path as osp
import re
from dataclasses import asdict
from typing import Dict, List, Tuple

from ..datasets.class_mappings import CLASSES_7
from .design import Design
from .model import ABLATION_ARMS, ARMS
from .stats import mean_std, paired, t_interval

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EXPECTED = osp.join(ROOT, 'docs', 'demo_expected.md')
#: The tolerance aimed for across machines and precisions (mIoU points): the
#: least tolerance of a row, and the one of a row without a measured one
#: (docs/demo.md "Tolerance across CPUs and precisions").
TOLERANCE = 1.5

ROWS = (
    ('pretrain', 'source pre-training'),
    ('source_only', 'source only'),
    ('source_only_bn', 'source only + target BN'),
    ('entropy', 'entropy-only adversarial (AdvEnt)'),
    ('entropy_bn', 'entropy-only adversarial + target BN'),
    ('dda', 'DDA (stage 1)'),
    ('dda_bn', 'DDA + target BN'),
    ('selftrain', 'DDA + self-training'),
    ('oracle', 'oracle (target labels)'),
    ('dda_refweight', 'ablation: DDA, reference target-density weight'),
    ('dda_refweight_bn', 'ablation: DDA, reference weight + target BN'),
)
DIFFS = (
    ('DDA − source only', 'dda', 'source_only'),
    ('DDA − source only (both + target BN)', 'dda_bn', 'source_only_bn'),
    ('DDA − entropy-only', 'dda', 'entropy'),
    ('DDA − entropy-only (both + target BN)', 'dda_bn', 'entropy_bn'),
    ('self-training − DDA', 'selftrain', 'dda'),
    # Self-training ends with target BN statistics (its BN layers see only
    # target batches), so this is the like-for-like comparison.
    ('self-training − DDA + target BN', 'selftrain', 'dda_bn'),
    ('DDA reference weight − DDA (both + target BN)', 'dda_refweight_bn',
     'dda_bn'),
)
#: The arms in summary order.
ARM_NAMES = ARMS + ABLATION_ARMS
#: Design fields that choose the numeric path, not the experiment: two runs
#: that differ only in these are the same study rounded differently.
NUMERIC_FIELDS = ('bf16', 'channels_last')


def experiment_design(design: dict) -> dict:
    """``design`` (a seed file's, or ``asdict`` of a :class:`.Design`) as
    stored in JSON, without its :data:`NUMERIC_FIELDS`."""
    return {k: v for k, v in json.loads(json.dumps(design)).items()
            if k not in NUMERIC_FIELDS}


def is_reference_design(design: dict) -> bool:
    """Whether ``design`` is the pre-registered one up to its rounding
    (the reference means of docs/demo_expected.md are for it)."""
    return experiment_design(design) == experiment_design(asdict(Design()))


def _fmt(values: List[float], digits: int = 2) -> str:
    mean, std = mean_std(values)
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def _interval(values: List[float]) -> str:
    if len(values) < 2:
        return 'n/a (one seed)'
    mean, lo, hi = t_interval(values)
    return f'{mean:+.2f} [{lo:+.2f}, {hi:+.2f}]'


def row_means(results: Dict[int, dict]) -> Dict[str, float]:
    """``{row: mean mIoU}`` over the seeds."""
    out = {}
    for key, _ in ROWS:
        vals = [r['rows'][key]['mIoU'] for r in results.values()
                if key in r['rows']]
        if vals:
            out[key] = mean_std(vals)[0]
    return out


def read_expected(path: str = EXPECTED) -> Dict[str, Tuple[float, float]]:
    """Reference means and tolerances of ``docs/demo_expected.md``: the rows
    ``| <row key> | <mean> | ±<tolerance> |`` of its "## Reference means"
    section (without a tolerance column: :data:`TOLERANCE`)."""
    if not osp.isfile(path):
        return {}
    with open(path, encoding='utf-8') as f:
        text = f.read()
    # Only the "Reference means" section (the regression pin below it has
    # rows of the same names).
    start = text.find('## Reference means')
    if start < 0:
        return {}
    end = text.find('\n## ', start + 1)
    text = text[start:end if end > 0 else len(text)]
    keys = {k for k, _ in ROWS}
    out = {}
    for m in re.finditer(
            r'^\|\s*`?(\w+)`?\s*\|\s*([0-9.]+)\s*\|(?:\s*±?([0-9.]+)\s*\|)?',
            text, re.M):
        if m.group(1) in keys:
            tol = float(m.group(3)) if m.group(3) else TOLERANCE
            out[m.group(1)] = (float(m.group(2)), tol)
    return out


def tolerance_note(means: Dict[str, float],
                   expected: Dict[str, Tuple[float, float]],
                   comparable: bool) -> str:
    """Whether every printed mean is within its tolerance of the reference
    mean (``expected``: ``{row: (mean, tolerance)}``)."""
    if not comparable:
        return ('(Not compared with docs/demo_expected.md: its reference '
                'means are for seeds 0 1 2 of the pre-registered design.)')
    if not expected:
        return 'NOTE: docs/demo_expected.md has no reference means.'
    off = [(k, means[k], e, tol) for k, (e, tol) in expected.items()
           if k in means and abs(means[k] - e) > tol]
    if not off:
        return ('Every mean is within its tolerance of the reference means '
                'in docs/demo_expected.md.')
    return ('NOTE: means outside their 95 % tolerance of '
            'docs/demo_expected.md: ' + ', '.join(
                f'{k} {m:.2f} (reference {e:.2f} ± {tol:.2f})'
                for k, m, e, tol in off) +
            '. On another CPU, precision or build, some of the '
            f'{len(expected)} rows fall outside by chance in '
            f'{1 - 0.95**len(expected):.0%} of the runs; several rows, or '
            'one far outside, point to a real difference (docs/demo.md '
            '"Tolerance across CPUs and precisions").')


def _class_iou_lines(results: Dict[int, dict]) -> List[str]:
    lines = ['', 'Per-class IoU on the target val images (mean over seeds):',
             '', '| model | ' + ' | '.join(CLASSES_7) + ' |',
             '|---|' + '---|' * len(CLASSES_7)]
    for key, name in ROWS:
        ious = [r['rows'][key]['IoU'] for r in results.values()
                if key in r['rows']]
        if len(ious) == len(results):
            lines.append(f'| {name} | ' + ' | '.join(
                f'{sum(col) / len(col):.1f}' for col in zip(*ious)) + ' |')
    return lines


def _pseudo_label_lines(results: Dict[int, dict], design: dict) -> List[str]:
    stats = [r['extra']['pseudo_labels'] for r in results.values()
             if 'pseudo_labels' in r['extra']]
    if len(stats) != len(results):
        return []
    lines = ['', "Self-training's pseudo-labels (the target-train pixels that "
             'DDA predicts with probability ≥ '
             f"{design['selftrain_threshold']}; mean ± std over "
             f"seeds): {_fmt([s['share'] * 100 for s in stats], 1)} % of the "
             f"pixels, {_fmt([s['accuracy'] * 100 for s in stats], 1)} % of "
             'them right.', '',
             '| class | share of the pseudo-labels (%) | share of the true '
             'labels (%) |', '|---|---|---|']
    # The true labels are the same toy data for every seed.
    for c, name in enumerate(CLASSES_7):
        lines.append(f'| {name} | '
                     f"{_fmt([s['class_share'][c] * 100 for s in stats])} | "
                     f"{stats[0]['label_share'][c] * 100:.2f} |")
    return lines


def summarise(results: Dict[int, dict], args, total: float,
              expected_path: str = EXPECTED) -> str:
    seeds = list(results)
    first = next(iter(results.values()))
    d = first['design']
    lines = [
        f'Toy SYNTHIA -> toy Cityscapes (7 classes), {len(seeds)} training '
        f'seeds {seeds}, {args.amp}; mIoU on '
        f'{"the target val images"}, mean ± std over the seeds:', '',
        '| model | iterations | mIoU | per seed |', '|---|---|---|---|'
    ]
    arms = [a for a in ARM_NAMES if all(a in r['extra']
                                        for r in results.values())]
    iters = dict(pretrain=f"{d['pretrain_iters']}",
                 selftrain=f"{d['pretrain_iters']} + {d['iters']} + "
                 f"{d['selftrain_iters']}")
    for key, name in ROWS:
        vals = [results[s]['rows'][key]['mIoU'] for s in seeds
                if key in results[s]['rows']]
        if not vals:
            continue
        it = iters.get(key, f"{d['pretrain_iters']} + {d['iters']}")
        lines.append(f'| {name} | {it} | {_fmt(vals)} | ' +
                     ' '.join(f'{v:.1f}' for v in vals) + ' |')
    lines += ['', 'Paired differences (mIoU points; mean [95 % t interval],'
              f' {len(seeds)} seeds):', '', '| difference | mean [95 % CI] |'
              ' per seed |', '|---|---|---|']
    for name, hi, lo in DIFFS:
        if not all(hi in results[s]['rows'] and lo in results[s]['rows']
                   for s in seeds):
            continue
        diff = paired([results[s]['rows'][hi]['mIoU'] for s in seeds],
                      [results[s]['rows'][lo]['mIoU'] for s in seeds])
        lines.append(f'| {name} | {_interval(diff)} | ' +
                     ' '.join(f'{v:+.1f}' for v in diff) + ' |')
    lines += _class_iou_lines(results)
    lines += _pseudo_label_lines(results, d)
    src = [results[s]['extra']['pretrain_source_val']['mIoU'] for s in seeds]
    lines += ['', f'Source pre-training on held-out source images: mIoU '
              f'{_fmt(src)}.']
    lines.append('Discriminator: probability it gives the right domain '
                 '(exp(-BCE), mean over the last 20 iterations; chance 50 %):'
                 ' ' + '; '.join(
                     f"{arm.replace('_', ' ')} arm " + _fmt(
                         [results[s]['extra'][arm]['disc_prob_right'] * 100
                          for s in seeds]) + ' %'
                     for arm in arms) + '.')
    lines += ['', 'Mechanism check (one adversarial generator step with the '
              "arm's trained discriminator; mean entropy drop in millinats at"
              ' plausible / implausible cells; mean ± std over seeds):', '',
              '| arm | network step: plausible | implausible | logit step: '
              'plausible | implausible |', '|---|---|---|---|---|']
    mech_arms = [a for a in arms if a != 'source_only']
    for arm in mech_arms:
        mech = [results[s]['mechanism'][arm] for s in seeds]
        lines.append('| ' + arm + ' | ' + ' | '.join(
            _fmt([m[k] for m in mech], 1 if i < 2 else 4) for i, k in
            enumerate(('drop_plausible', 'drop_implausible',
                       'logit_drop_plausible', 'logit_drop_implausible')))
            + ' |')
    lines += ['', 'Density head against the prior on the same cells (the '
              "head's output weighs DDA's map; mean ± std over seeds):", '',
              '| arm | entropy before (mnats): plausible | implausible | '
              'head output: plausible | implausible | correlation with the '
              'prior |', '|---|---|---|---|---|---|']
    for arm in mech_arms:
        mech = [results[s]['mechanism'][arm] for s in seeds]
        lines.append('| ' + arm + ' | ' + ' | '.join(
            _fmt([m[k] for m in mech], 2 if k.endswith('corr') else 1)
            for k in ('entropy_plausible', 'entropy_implausible',
                      'head_plausible', 'head_implausible',
                      'head_prior_corr')) + ' |')
    lines += ['', 'Share of layout-implausible predictions on the val images '
              '(prior density of the predicted class at the true position and'
              ' inverse depth < 127.5 of 255), percent:', '',
              '| arm | own BN | target BN |', '|---|---|---|']
    for arm in arms:
        lines.append(f"| {arm.replace('_', ' ')} | " + ' | '.join(_fmt(
            [results[s]['extra'][arm][k] * 100 for s in seeds])
            for k in ('implausible', 'implausible_bn')) + ' |')
    for other in ('source_only', 'entropy'):
        for k, what in (('implausible', 'own BN'),
                        ('implausible_bn', 'target BN')):
            diff = paired(
                [results[s]['extra']['dda'][k] * 100 for s in seeds],
                [results[s]['extra'][other][k] * 100 for s in seeds])
            lines.append(f"| DDA − {other.replace('_', ' ')} ({what}) | "
                         f'{_interval(diff)} | |')
    cpu = sum(sum(c for _, c in r['timings'].values())
              for r in results.values())
    wall = f'{total:.0f} s wall for this invocation; ' if total == total \
        else ''
    lines += ['', f'Time: {wall}{cpu:.0f} s CPU over all seeds (training '
              f'and evaluation jobs, {cpu / len(seeds):.0f} s per seed).']
    # --iters-scale and --design change the design; bf16 and channels-last
    # only the rounding, which the tolerances are for.
    comparable = sorted(seeds) == [0, 1, 2] and is_reference_design(d)
    lines += ['', tolerance_note(row_means(results),
                                 read_expected(expected_path), comparable)]
    return '\n'.join(lines)


def load_results(folder: str) -> Dict[int, dict]:
    """``{seed: result}`` of the ``seed<N>.json`` files of an output folder
    of ``tools/run_demo.py``, in seed order."""
    import glob
    results = {}
    for path in glob.glob(osp.join(folder, 'seed*.json')):
        try:
            with open(path) as f:
                res = json.load(f)
            missing = {'seed', 'rows', 'design'} - set(res)
        except (ValueError, TypeError) as e:
            raise SystemExit(f'{path}: not a seed result of '
                             f'tools/run_demo.py ({e!r})')
        if missing:
            raise SystemExit(f'{path}: not a seed result of tools/run_demo.py'
                             f' (no {", ".join(sorted(missing))})')
        results[res['seed']] = res
    if not results:
        raise SystemExit(f'{folder}: no seed<N>.json results')
    return dict(sorted(results.items()))


def main(argv=None) -> None:
    """Print the summary of an output folder again:
    ``python -m mmseg_dda.demo.summary demo_output``."""
    import argparse
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument('out', help='output folder of tools/run_demo.py')
    args = p.parse_args(argv)
    results = load_results(args.out)
    first = next(iter(results.values()))
    ns = argparse.Namespace(amp='bf16' if first['design'].get('bf16')
                            else 'fp32')
    print(summarise(results, ns, float('nan')))


if __name__ == '__main__':
    main()
