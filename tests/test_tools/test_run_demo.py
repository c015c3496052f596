"""tools/run_demo.py (mmseg_dda.demo.runner / summary): arguments, the
summary on made-up per-seed results, the tolerance check, reuse of seeds.

The full demo takes minutes; tests/test_demo runs one seed at tiny sizes.
"""
import json

import pytest

from mmseg_dda.demo import runner, summary

from _helpers import load_tool

ROWS = [k for k, _ in summary.ROWS]


def _result(seed, base, arms=('source_only', 'entropy', 'dda')):
    """Made-up results: row i has mIoU base + i; DDA rows + 2."""
    rows = {k: dict(mIoU=base + i + (2.0 if k.startswith('dda') else 0.0),
                    IoU=[float(i)] * 7, aAcc=50.0) for i, k in enumerate(ROWS)
            if not k.startswith('dda_refweight') or 'dda_refweight' in arms}
    extra = {arm: dict(disc_prob_right=0.6, implausible=0.1,
                       implausible_bn=0.2) for arm in arms}
    extra['pretrain_source_val'] = dict(mIoU=base + 50)
    extra['pseudo_labels'] = dict(
        share=0.5 + seed / 10, accuracy=0.9,
        class_share=[0.75, 0.25] + [0.0] * 5,
        label_share=[0.5, 0.5] + [0.0] * 5)
    mech = {arm: dict(drop_plausible=2.0, drop_implausible=1.0, ratio=2.0,
                      logit_drop_plausible=3.0, logit_drop_implausible=0.5,
                      entropy_plausible=100.0, entropy_implausible=300.0,
                      head_plausible=200.0, head_implausible=50.0,
                      head_prior_corr=0.5, plausible_share=0.7)
            for arm in arms if arm != 'source_only'}
    return dict(seed=seed, rows=rows, extra=extra, mechanism=mech,
                timings={'pre-training': (10.0, 9.0)},
                design=dict(pretrain_iters=3, iters=2, selftrain_iters=1,
                            selftrain_threshold=0.9))


def test_tool_is_a_thin_entry_point():
    tool = load_tool('run_demo')
    assert tool.main is runner.main


def test_arguments(capsys):
    args = runner.parse_args(['--amp', 'fp32'])
    assert args.seeds == [0, 1, 2] and args.jobs == 2 and not args.oracle
    assert runner.parse_args(['--oracle', '--amp', 'fp32']).oracle
    study = runner.parse_args(['--study', '--amp', 'fp32'])
    assert study.seeds == list(runner.STUDY_SEEDS) and study.oracle
    assert len(runner.STUDY_SEEDS) >= 5
    assert runner.parse_args(['--study', '--seeds', '4', '5', '--amp',
                              'fp32']).seeds == [4, 5]
    for bad in (['--seeds', '1', '1'], ['--jobs', '0'],
                ['--iters-scale', '2']):
        with pytest.raises(SystemExit):
            runner.parse_args(bad)
    err = capsys.readouterr().err
    assert '--seeds must be distinct' in err and '--jobs must be >= 1' in err


def test_scaled_design():
    d = runner.scaled_design(0.1, False)
    assert d.pretrain_iters == round(runner.DESIGN.pretrain_iters * 0.1)
    assert runner.scaled_design(1.0, True) == runner.DESIGN.__class__(
        **{**runner.DESIGN.__dict__, 'bf16': True})


def test_summary_rows_differences_and_intervals(tmp_path):
    results = {s: _result(s, 10.0 + s) for s in (0, 1, 2)}
    args = runner.parse_args(['--amp', 'fp32'])
    text = summary.summarise(results, args, 12.0,
                             expected_path=str(tmp_path / 'none.md'))
    # source only: 11, 12, 13 -> 12.00 ± 1.00.
    assert '| source only | 3 + 2 | 12.00 ± 1.00 | 11.0 12.0 13.0 |' in text
    # DDA - source only is +6 on every seed (row index 5 - 1, + 2): std 0,
    # so the interval is a point.
    assert '| DDA − source only | +6.00 [+6.00, +6.00] |' in text
    assert 'mIoU 61.00 ± 1.00' in text  # source val: 60, 61, 62
    # selftrain (row 7) - dda_bn (row 6, + 2): -1 on every seed.
    assert '| self-training − DDA + target BN | -1.00 [-1.00, -1.00] |' \
        in text
    assert 'probability ≥ 0.9;' in text
    assert '60.0 ± 10.0 % of the pixels, 90.0 ± 0.0 % of them right' in text
    assert '| construction | 25.00 ± 0.00 | 50.00 |' in text
    # Per-class IoU: row i has IoU i for every class.
    assert '| source only | ' + ' | '.join(['1.0'] * 7) + ' |' in text
    assert 'Not compared' in text  # the made-up design is not the reference
    assert '| dda | 100.0 ± 0.0 | 300.0 ± 0.0 | 200.0 ± 0.0 | 50.0 ± 0.0 | ' \
        '0.50 ± 0.00 |' in text
    assert 'ablation' not in text


def test_study_adds_the_ablation_arm(tmp_path):
    args = runner.parse_args(['--study', '--amp', 'fp32'])
    assert args.arms == ('source_only', 'entropy', 'dda', 'dda_refweight')
    assert runner.parse_args(['--amp', 'fp32']).arms == (
        'source_only', 'entropy', 'dda')
    arms = args.arms
    results = {s: _result(s, 10.0 + s, arms) for s in (0, 1, 2)}
    text = summary.summarise(results, args, 12.0,
                             expected_path=str(tmp_path / 'none.md'))
    # Rows 9 and 10 (+ 2 as DDA rows): 21, 22, 23 and 22, 23, 24.
    assert '| ablation: DDA, reference target-density weight | 3 + 2 | '\
        '22.00 ± 1.00 |' in text
    # dda_refweight_bn (row 10) - dda_bn (row 6): +4 on every seed.
    assert '| DDA reference weight − DDA (both + target BN) | '\
        '+4.00 [+4.00, +4.00] |' in text
    assert '| dda_refweight | 2.0 ± 0.0 |' in text


def test_tolerance_note(tmp_path):
    path = tmp_path / 'expected.md'
    path.write_text('## Reference means\n\n| row | mean | tolerance |\n'
                    '|---|---|---|\n| source_only | 12.00 | ±2.50 |\n'
                    '| dda | 16.00 | ±1.50 |\n\n'
                    '## Regression pin\n\n| source_only | 11.1234 |\n')
    exp = summary.read_expected(str(path))
    assert exp == {'source_only': (12.0, 2.5), 'dda': (16.0, 1.5)}
    assert 'within its tolerance' in summary.tolerance_note(
        {'source_only': 14.4, 'dda': 17.4}, exp, True)
    note = summary.tolerance_note({'source_only': 14.6, 'dda': 17.6}, exp,
                                  True)
    assert 'outside' in note and 'dda 17.60 (reference 16.00 ± 1.50)' in \
        note and 'source_only 14.60 (reference 12.00 ± 2.50)' in note
    assert 'in 10% of the runs' in note  # 1 - 0.95 ** 2 rows
    assert 'Not compared' in summary.tolerance_note({}, exp, False)
    # Without a tolerance column: the least tolerance.
    path.write_text('## Reference means\n\n| dda | 16.00 |\n')
    assert summary.read_expected(str(path)) == {
        'dda': (16.0, summary.TOLERANCE)}


def test_expected_file_lists_every_row_of_make_demo():
    exp = summary.read_expected()
    # The study's rows (ablation arm, oracle) are not make demo's.
    assert set(exp) == {k for k in ROWS if not k.startswith(
        ('dda_refweight', 'oracle'))}
    # Each row with its own measured tolerance, none below the aim.
    assert all(tol >= summary.TOLERANCE for _, tol in exp.values())
    assert len({tol for _, tol in exp.values()}) > 1


def test_seed_results_reused_only_for_the_same_key(tmp_path, monkeypatch):
    """A seed file of the same design, data, code and platform is reused;
    another key trains the seed again."""
    calls = []

    def fake_run_seeds(data, gmm, design, seeds, jobs, arms, oracle):
        calls.extend(seeds)
        return {s: _result(s, 10.0) for s in seeds}

    monkeypatch.setattr(runner, 'run_seeds', fake_run_seeds)
    monkeypatch.setattr('mmseg_dda.demo.data.make_demo_data',
                        lambda spec: {'source': None})
    monkeypatch.setattr('mmseg_dda.demo.prior.fit_demo_prior',
                        lambda src: None)
    args = runner.parse_args(['--out', str(tmp_path), '--seeds', '0', '1',
                              '--amp', 'fp32'])
    runner.run(args)
    assert sorted(calls) == [0, 1]
    runner.run(args)
    assert sorted(calls) == [0, 1]  # both reused
    rec = json.loads((tmp_path / 'seed1.json').read_text())
    rec['key']['code'] = 'other'
    (tmp_path / 'seed1.json').write_text(json.dumps(rec))
    runner.run(args)
    assert sorted(calls) == [0, 1, 1]
    args.oracle = True  # another set of jobs: trained again
    runner.run(args)
    assert sorted(calls) == [0, 0, 1, 1, 1]
    runner.run(runner.parse_args([  # another design: trained again
        '--out', str(tmp_path), '--seeds', '0', '--amp', 'fp32', '--oracle',
        '--design', 'adv_weight=0.01']))
    assert sorted(calls) == [0, 0, 0, 1, 1, 1]
    assert json.loads((tmp_path / 'seed0.json').read_text())['key'][
        'design']['adv_weight'] == 0.01
    assert (tmp_path / 'summary.md').is_file()


def test_summary_of_an_output_folder(tmp_path, capsys):
    for s in (0, 1):
        (tmp_path / f'seed{s}.json').write_text(json.dumps(_result(s, 10.0)))
    summary.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert '2 training seeds [0, 1], fp32' in out
    assert '| dda | 2.0 ± 0.0 | 1.0 ± 0.0 | 3.0000 ± 0.0000 |' in out
    with pytest.raises(SystemExit, match='no seed<N>.json'):
        summary.main([str(tmp_path / 'empty')])
    for text in ('{"rows": ', '{"seed": 2}'):  # cut short, foreign
        (tmp_path / 'seed2.json').write_text(text)
        with pytest.raises(SystemExit, match='seed2.json: not a seed result'):
            summary.main([str(tmp_path)])


def test_design_overrides(capsys):
    """--design reaches the design; a bad knob is an argument error
    (tests/test_demo/test_design.py checks every kind of bad value)."""
    args = runner.parse_args(['--amp', 'fp32', '--design',
                              'channels_last=false', 'adv_weight=0.01',
                              'disc_channels=16,32', 'iters=30'])
    assert args.design == dict(channels_last=False, adv_weight=0.01,
                               disc_channels=(16, 32), iters=30)
    d = runner.scaled_design(0.5, True, args.design)
    assert (d.channels_last, d.adv_weight, d.disc_channels, d.iters,
            d.bf16) == (False, 0.01, (16, 32), 15, True)
    assert d.lr == runner.DESIGN.lr  # the rest stays
    assert runner.parse_args(['--amp', 'fp32']).design == {}
    for bad, why in ((['foo=1'], "'foo=1': expected KEY=VALUE"),
                     (['iters=0'], 'invalid demo design')):
        with pytest.raises(SystemExit):
            runner.parse_args(['--amp', 'fp32', '--design'] + bad)
        assert why in capsys.readouterr().err, bad


def test_only_the_rounding_keeps_the_comparison(tmp_path):
    """The reference means are for the pre-registered design: a run in
    another precision or memory format is compared, one with another knob
    (or --iters-scale) is not."""
    path = tmp_path / 'expected.md'
    path.write_text('## Reference means\n\n| row | mean | tolerance |\n'
                    '|---|---|---|\n| source_only | 12.00 | ±2.50 |\n')
    args = runner.parse_args(['--amp', 'fp32'])

    def note(**changes):
        design = dict(runner.DESIGN.__dict__, **changes)
        results = {s: dict(_result(s, 10.0 + s), design=design)
                   for s in (0, 1, 2)}
        return summary.summarise(results, args, 1.0, str(path)).splitlines(
        )[-1]

    assert 'within its tolerance' in note()
    assert 'within its tolerance' in note(bf16=True, channels_last=False)
    for change in (dict(adv_weight=0.01), dict(iters=3),
                   dict(disc_channels=[16, 32])):
        assert 'Not compared' in note(**change), change
    assert summary.is_reference_design(
        json.loads(json.dumps(runner.DESIGN.__dict__)))
    path.unlink()
    assert 'no reference means' in note()
