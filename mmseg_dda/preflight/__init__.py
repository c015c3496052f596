"""Preflight: everything a training run needs, checked before it starts.

One module per check group (:mod:`.data`, :mod:`.formats`, :mod:`.density`,
:mod:`.weights`, :mod:`.run_dir`, :mod:`.device`, :mod:`.timing`), each
reusing the validators that training itself applies; :func:`run_preflight`
runs them and returns a :class:`Report` (docs/preflight.md).
"""
from .api import run_preflight
from .report import Check, PreflightError, Report

__all__ = ['run_preflight', 'Check', 'PreflightError', 'Report']
