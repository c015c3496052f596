"""tools/run_demo.py: tables, seed statistics, expected-table check, steps.

The full demo takes minutes; these tests run its pieces on made-up metrics.
"""
import json
import os

import pytest

from _helpers import REPO, load_tool

ROWS = ('pretrain', 'source_only', 'source_only_bn', 'dda', 'selftrain')


@pytest.fixture(scope='module')
def demo():
    return load_tool('run_demo')


def _metrics(base):
    """Per-row metrics: mIoU = base + row index, mIoU* = mIoU + 1."""
    return {k: {'mIoU': base + i, 'mIoU*': base + i + 1.0, 'aAcc': 50.0}
            for i, k in enumerate(ROWS)}


def test_defaults_and_argument_errors(demo, capsys):
    args = demo.parse_args([])
    assert args.seeds == [0] and demo.uses_defaults(args)
    assert not demo.uses_defaults(demo.parse_args(['--iters', '7']))
    for bad in (['--iters', '0'], ['--seeds', '1', '1'], ['--threads', '0']):
        with pytest.raises(SystemExit):
            demo.parse_args(bad)
    err = capsys.readouterr().err
    assert '--iters must be >= 1, got 0' in err
    assert '--seeds must be distinct' in err


def test_pinned_env(demo):
    env = demo.pinned_env(3, base={'OMP_NUM_THREADS': '16', 'PATH': '/x'})
    assert env['OMP_NUM_THREADS'] == env['MKL_NUM_THREADS'] == '3'
    assert env['PYTHONHASHSEED'] == '0' and env['PATH'] == '/x'
    assert env['OMP_WAIT_POLICY'] == 'PASSIVE'


def test_seed_table(demo):
    args = demo.parse_args([])
    table = demo.seed_table(0, _metrics(10.0), args)
    rows = demo.table_rows(table)
    assert rows[0] == '| model | iterations | mIoU (16) | mIoU* (13) | aAcc |'
    assert rows[2] == '| source pre-training | 300 | 10.00 | 11.00 | 50.00 |'
    assert rows[4] == ('| source only + target BN statistics | 300 + 150 | '
                       '12.00 | 13.00 | 50.00 |')
    assert rows[6] == ('| DDA + self-training | 300 + 150 + 100 | 14.00 | '
                       '15.00 | 50.00 |')
    assert 'training seed 0' in table and '20 images' in table


def test_gain_table_mean_and_sample_std(demo):
    results = {0: _metrics(10.0), 1: _metrics(10.0), 2: _metrics(10.0)}
    # Source only 11, its BN control 12, DDA 13 (seed 0), 14, 12.
    results[1]['dda'] = {'mIoU': 14.0, 'mIoU*': 15.0, 'aAcc': 0.0}
    results[2]['dda'] = {'mIoU': 12.0, 'mIoU*': 13.0, 'aAcc': 0.0}
    rows = demo.table_rows(demo.gain_table(results))
    assert rows[0] == ('| gain | metric | seed 0 | seed 1 | seed 2 | '
                       'mean ± std |')
    assert rows[2] == ('| DDA − source only | mIoU | +2.00 | +3.00 | '
                       '+1.00 | +2.00 ± 1.00 |')
    assert rows[4] == ('| DDA − (source only + target BN) | mIoU | +1.00 | '
                       '+2.00 | +0.00 | +1.00 ± 1.00 |')
    # self-training (14) - DDA.
    assert rows[6] == ('| self-training − DDA | mIoU | +1.00 | +0.00 | '
                       '+2.00 | +1.00 ± 1.00 |')
    assert demo.mean_std([2.0]) == '+2.00 ± 0.00'


def test_expected_note(demo, tmp_path):
    args = demo.parse_args(['--amp', 'fp32'])
    results = {0: _metrics(10.0)}
    path = tmp_path / 'expected.md'
    fast = demo.parse_args(['--amp', 'bf16'])
    path.write_text(
        'Some text.\n\n## bf16 on cpuA (fast mode)\n\n' +
        demo.seed_table(0, _metrics(20.0), fast) + '\n\n## fp32 on cpuA\n\n' +
        demo.seed_table(0, results[0], args) + '\n\n## fp32 on cpuB\n\n' +
        demo.seed_table(0, _metrics(30.0), args) + '\n')

    def note(res, a, platform='cpuA', where=path):
        return demo.expected_note(res, a, str(where), platform)

    # Each precision and platform is compared with its own section's table.
    assert 'equals the expected fp32 one for cpuA' in note(results, args)
    assert 'equals the expected bf16 one' in note({0: _metrics(20.0)}, fast)
    assert 'equals the expected fp32 one for cpuB' in note(
        {0: _metrics(30.0)}, args, 'cpuB')
    assert 'DIFFERS from the expected bf16 one' in note(results, fast)
    assert 'DIFFERS from the expected fp32 one for cpuB' in note(
        results, args, 'cpuB')
    changed = {0: _metrics(10.0)}
    changed[0]['dda']['mIoU'] = 99.0
    text = note(changed, args)
    assert 'DIFFERS' in text
    assert '| DDA (stage 1) | 300 + 150 | 99.00 |' in text
    assert '| DDA (stage 1) | 300 + 150 | 13.00 |' in text
    assert 'missing' in note(results, args, where=tmp_path / 'none.md')
    unknown = note(results, fast, 'cpuB')
    assert 'no bf16 table for this platform (cpuB' in unknown
    assert 'bf16 on cpuA, fp32 on cpuA, fp32 on cpuB' in unknown
    other = demo.parse_args(['--iters', '5'])
    assert 'Not compared' in note(results, other)
    assert 'Not compared' in note({1: results[0]}, args)


@pytest.mark.parametrize('amp', ['bf16', 'fp32'])
def test_checked_in_expected_tables_have_the_printed_layout(demo, amp):
    sections = demo.expected_sections((REPO / demo.EXPECTED).read_text())
    printed = demo.table_rows(demo.seed_table(
        0, _metrics(1.0), demo.parse_args(['--amp', amp])))
    tables = [rows for (a, _), rows in sections.items() if a == amp]
    assert len(tables) >= 2  # two platforms
    for rows in tables:
        assert len(rows) == len(printed)
        assert rows[:2] == printed[:2]
        assert [r.split(' | ')[:2] for r in rows] == \
            [r.split(' | ')[:2] for r in printed]


def test_init_from(demo):
    assert demo.init_from('a/b.pth', 'model.segmentor') == [
        'model.segmentor.init_cfg.type=Pretrained',
        'model.segmentor.init_cfg.checkpoint=a/b.pth']


def test_latest_metrics(demo, tmp_path):
    with pytest.raises(FileNotFoundError, match='no test metrics'):
        demo.latest_metrics(str(tmp_path))
    for stamp, miou in (('20260101_000000', 1.0), ('20260102_000000', 2.0)):
        d = tmp_path / stamp / 'vis_data'
        d.mkdir(parents=True)
        (d / f'{stamp}.json').write_text(
            json.dumps({'lr': 0.1, 'step': 1}) + '\n' +
            json.dumps({'mIoU': miou, 'step': 2}) + '\n')
    (tmp_path / 'pseudo_labels').mkdir()  # not a log: ignored
    (tmp_path / 'pseudo_labels' / 'manifest.json').write_text('{\n "a": 1}')
    assert demo.latest_metrics(str(tmp_path))['mIoU'] == 2.0


def test_step_pins_threads_logs_and_names_the_log_on_failure(
        demo, tmp_path, capsys):
    args = demo.parse_args(['--out', str(tmp_path), '--threads', '3'])
    runner = demo.Demo(args)
    runner.step('show threads', [
        '-c', 'import os; print("threads", os.environ["OMP_NUM_THREADS"])'])
    log = tmp_path / 'logs' / 'show_threads.log'
    assert 'threads 3' in log.read_text()
    out = capsys.readouterr().out
    assert out.count('\n') == 1 and str(log) in out
    assert runner.timings[0][0] == 'show threads'
    assert 'CPU' in out
    runner.step('busy', ['-c', 'import time\nt = time.process_time()\n'
                         'while time.process_time() - t < 0.3: pass'])
    assert runner.timings[1][2] >= 0.25  # the child's CPU time is counted
    capsys.readouterr()
    done = tmp_path / 'done'
    done.write_text('')
    runner.step('skipped', ['-c', 'raise SystemExit(1)'], str(done))
    assert 'done already' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='failed_step.log'):
        runner.step('failed step', [
            '-c', 'import sys; print("boom"); sys.exit(2)'])
    assert 'boom' in capsys.readouterr().out


def test_summary_files(demo, tmp_path, capsys):
    args = demo.parse_args(['--out', str(tmp_path), '--seeds', '0', '1'])
    runner = demo.Demo(args)
    runner.timings = [('a step', 1.5, 0.5)]
    runner.summarise({0: _metrics(10.0), 1: _metrics(11.0)},
                     str(tmp_path / 'example.png'), 2.0)
    results = (tmp_path / 'results.md').read_text()
    assert 'training seed 1' in results and 'mean ± std' in results
    assert 'a step' not in results  # wall times vary; kept out of results
    summary = (tmp_path / 'summary.md').read_text()
    assert '| a step | 1.5 | 0.5 |' in summary
    assert os.fspath(tmp_path / 'results.md') in capsys.readouterr().out


def test_reuse_of_an_output_folder_is_checked(demo, tmp_path):
    path = str(tmp_path / 'out' / 'demo_run.json')
    record = demo.run_record(demo.parse_args(['--seeds', '0', '1']), 'abc')
    assert 'seeds' not in record and record['iters'] == 150
    demo.check_reuse(path, record)  # first run: written
    demo.check_reuse(path, record)  # same settings and code: fine
    other = dict(record, iters=7)
    with pytest.raises(SystemExit, match=r'other settings \(iters: 150 -> 7'):
        demo.check_reuse(path, other)
    with pytest.raises(SystemExit, match='other code.*make clean-demo'):
        demo.check_reuse(path, dict(record, code='def'))
    with pytest.raises(SystemExit, match=r'other settings \(platform: '):
        demo.check_reuse(path, dict(record, platform='another-cpu'))


def test_code_hash_follows_the_code(demo, tmp_path):
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'a.py').write_text('x = 1\n')
    (tmp_path / 'README.md').write_text('not code\n')
    first = demo.code_hash(str(tmp_path))
    (tmp_path / 'README.md').write_text('changed\n')
    assert demo.code_hash(str(tmp_path)) == first
    (tmp_path / 'tools' / 'a.py').write_text('x = 2\n')
    assert demo.code_hash(str(tmp_path)) != first


@pytest.mark.parametrize('units', [True, False])
def test_auto_precision_follows_the_cpus_bf16_units(demo, monkeypatch,
                                                    units):
    monkeypatch.setattr(demo, 'bf16_units', lambda: units)
    args = demo.parse_args([])
    assert args.amp == ('bf16' if units else 'fp32')
    assert demo.parse_args(['--amp', 'fp32']).amp == 'fp32'
    assert demo.parse_args(['--amp', 'bf16']).amp == 'bf16'
    assert demo.run_record(args, 'abc')['amp'] == args.amp
    assert demo.PRECISIONS[args.amp] in demo.seed_table(0, _metrics(1.0),
                                                        args)


@pytest.mark.parametrize('amp', ['fp32', 'bf16'])
def test_fast_mode_trains_with_amp(demo, tmp_path, monkeypatch, amp):
    args = demo.parse_args(['--out', str(tmp_path), '--amp', amp])
    assert demo.run_record(args, 'abc')['amp'] == amp
    assert demo.uses_defaults(args)
    runner = demo.Demo(args)
    commands = []
    monkeypatch.setattr(runner, 'step',
                        lambda label, cmd, done=None: commands.append(cmd))
    monkeypatch.setattr(demo, 'latest_metrics', lambda work_dir: {})
    runner.train('dda', 0, 5, 0.01)
    (cmd, ) = commands
    head = cmd[:cmd.index('--cfg-options')]
    assert head[0] == 'tools/train.py'
    assert (head[-2:] == ['--amp', 'bf16']) == (amp == 'bf16')
    assert '--amp' not in cmd[cmd.index('--cfg-options'):]
