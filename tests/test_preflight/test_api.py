"""Every check passes on the toy data; the table and the exit status."""
import pytest

import mmseg_dda  # noqa: F401
from mmseg_dda.preflight import PreflightError, run_preflight
from mmseg_dda.preflight.report import FAIL, OK, Check, Report

from _preflight_rows import rows


def test_every_check_passes_on_toy_data(tiny_cfg):
    report = run_preflight(tiny_cfg, full=False)
    assert report.ok, report.table()
    groups = {c.group for c in report.checks}
    assert groups == {'data', 'formats', 'density', 'run', 'device'}
    # Three datasets (source, target, val), listed and read.
    assert len(rows(report, 'data', OK)) == 3
    assert len(rows(report, 'formats', OK)) == 3
    src = rows(report, 'data')[0].detail
    assert '6 entries' in src and '6 depth maps' in src and \
        '6 density maps' in src
    fmt = rows(report, 'formats')[0].detail
    assert 'images 128x76x3 uint8' in fmt and 'density maps 16x8x13' in fmt
    grid = rows(report, 'density')[0]
    assert grid.status == OK and grid.detail.startswith('8x13')
    assert report.table().splitlines()[-1].startswith('preflight: ready')


def test_full_reads_every_file_in_workers(tiny_cfg):
    report = run_preflight(tiny_cfg, full=True, workers=2)
    assert report.ok, report.table()
    assert all(c.detail.startswith('all ')
               for c in rows(report, 'formats'))


def test_report_exit_and_error_message():
    report = Report(checks=[
        Check('run', 'free disk', OK, '10 GiB free'),
        Check('weights', 'load_from', FAIL, 'x.pth: no such checkpoint',
              'tools/train.py STAGE1_CONFIG')])
    assert not report.ok
    text = report.table()
    assert '✗ weights  load_from' in text and \
        'fix: tools/train.py STAGE1_CONFIG' in text
    with pytest.raises(PreflightError,
                       match='✗ weights: load_from: x.pth: no such'):
        report.raise_if_failed()
