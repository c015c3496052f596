"""Run every preflight check of a training config (docs/preflight.md).

:func:`run_preflight` is what ``tools/preflight.py`` prints and what
``tools/train.py`` runs (the quick part) before it builds the Runner.
"""
import os
import time
from typing import Optional

from mmengine.registry import init_default_scope

from ..checkpoint.lookup import find_latest_checkpoint

from .data import check_dataset, dataset_configs
from .density import check_density
from .device import check_device
from .formats import check_formats
from .report import FAIL, Check, Report
from .run_dir import run_checks
from .timing import time_iterations
from .weights import (check_load_from, check_pretrained,
                      check_pseudo_label_source)


def _guard(group: str, fn, *args) -> list:
    """Run one check group; an unexpected error becomes a failed row."""
    try:
        return fn(*args)
    except Exception as err:  # every problem is a row, never a traceback
        return [Check(group, f'{group} checks', FAIL,
                      f'{type(err).__name__}: {err}')]


def run_preflight(cfg, config: Optional[str] = None, full: bool = False,
                  time_iters: int = 0, resume: bool = False,
                  workers: Optional[int] = None,
                  measure_gpu: bool = True) -> Report:
    """Check everything a training run of ``cfg`` needs, from the config.

    Args:
        cfg (Config): The loaded training config (``--cfg-options`` merged,
            ``work_dir`` set).
        config (str, optional): Its file, for the fix commands.
        full (bool): Read every file (else a sample per dataset).
        time_iters (int): Time this many training iterations (0: no).
        resume (bool): The run will be started with ``--resume``.
        workers (int, optional): Processes for ``full`` (default: the CPU
            count, at most 8).
        measure_gpu (bool): Measure one training step on the GPU (when
            present).

    Returns:
        Report: The rows; ``report.ok`` is False when a blocking check failed.
    """
    t0 = time.time()
    config = config or cfg.filename or 'CONFIG'
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    workers = workers or min(8, os.cpu_count() or 1)
    mode = ('--full: every file read' if full else
            'quick: every file listed, formats on a sample')
    report = Report(title=f'preflight {config} ({mode})')
    datasets = []
    for role, key, ds_cfg in dataset_configs(cfg):
        out = _guard('data', check_dataset, role, key, ds_cfg, config)
        rows, ds = out if isinstance(out, tuple) else (out, None)
        report.add(rows)
        if ds is not None:
            datasets.append((rows[0].name, ds))
    for name, ds in datasets:
        report.add(_guard('formats', lambda: [check_formats(
            name, ds, full, workers)]))
    report.add(_guard('density', check_density, cfg, config))
    report.add(_guard('weights', check_pretrained, cfg))
    load_from = cfg.get('load_from')
    if resume and os.path.isdir(cfg.get('work_dir') or '') and \
            find_latest_checkpoint(cfg.work_dir):
        load_from = None  # --resume continues from the work_dir instead
    lf = _guard('weights', check_load_from, cfg, load_from)
    rows, state = lf if isinstance(lf, tuple) else (lf, None)
    report.add(rows)
    report.add(_guard('weights', check_pseudo_label_source, cfg, load_from,
                      state))
    report.add(_guard('run', run_checks, cfg, cfg.get('work_dir'), resume))
    report.add(_guard('device', check_device, cfg, measure_gpu))
    if time_iters:
        if report.ok:
            report.add(_guard('time', time_iterations, cfg, time_iters))
        else:
            report.add([Check('time', 'run time estimate', FAIL,
                              'not timed: fix the blocking problems first')])
    report.seconds = time.time() - t0
    return report
