"""tools/preflight.py and the quick preflight at the start of
tools/train.py: same rows, non-zero exit, stopped before the Runner."""
import re

import pytest

import mmseg_dda  # noqa: F401
from _helpers import (load_tool, record_runner, run_tool,
                      run_tool_inprocess, tool_env)

NOWHERE = 'train_dataloader.dataset.source.data_root=/nowhere/synthia'


def test_tool_exit_status(tiny_dda, tmp_path):
    ok = run_tool_inprocess('preflight.py', [tiny_dda['config'],
                                             '--work-dir', tmp_path / 'w'])
    assert ok.stdout.splitlines()[-1].startswith('preflight: ready to train')
    bad = run_tool_inprocess('preflight.py', [
        tiny_dda['config'], '--work-dir', tmp_path / 'w', '--cfg-options',
        NOWHERE], check=False)
    assert bad.returncode == 1
    row = [ln.split() for ln in bad.stdout.splitlines()
           if ln.startswith('✗')][0]
    assert ' '.join(row) == ('✗ data SynthiaDataset (train source) '
                             'SynthiaDataset: data_root not found: '
                             '/nowhere/synthia')


def test_train_runs_the_preflight_first(tiny_dda, tmp_path, monkeypatch):
    monkeypatch.setenv('MMSEG_DDA_PREFLIGHT', '1')
    train = load_tool('train')
    built = record_runner(monkeypatch, train)
    out = run_tool_inprocess('train.py', [tiny_dda['config'], '--work-dir',
                                          tmp_path / 'w'])
    assert 'preflight: ready to train' in out.stdout and len(built) == 1
    out = run_tool_inprocess('train.py', [tiny_dda['config'], '--work-dir',
                                          tmp_path / 'w', '--no-preflight'])
    assert 'preflight' not in out.stdout and len(built) == 2
    with pytest.raises(mmseg_dda.preflight.PreflightError):
        train.main([tiny_dda['config'], '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', NOWHERE])
    assert len(built) == 2  # stopped before the Runner


def test_train_stops_with_the_same_message(tiny_dda, tmp_path):
    """The one subprocess: a real tools/train.py run stops in seconds with
    the preflight's row, before any training."""
    args = [tiny_dda['config'], '--work-dir', tmp_path / 'w',
            '--cfg-options', NOWHERE]
    tool = run_tool_inprocess('preflight.py', args, check=False)
    row = [ln for ln in tool.stdout.splitlines() if ln.startswith('✗')][0]
    proc = run_tool('train.py', args, check=False,
                    env=tool_env(MMSEG_DDA_PREFLIGHT='1'))
    assert proc.returncode == 1
    # The checks themselves, not the interpreter start: well within a
    # minute (the table's last line states their time).
    secs = re.search(r'checks in ([0-9.]+) s', proc.stdout).group(1)
    assert float(secs) < 60
    assert row in proc.stdout
    assert ('PreflightError: preflight found blocking problems' in
            proc.stdout)
    assert ('✗ data: SynthiaDataset (train source): SynthiaDataset: '
            'data_root not found: /nowhere/synthia') in proc.stdout
    assert 'Iter(train)' not in proc.stdout
