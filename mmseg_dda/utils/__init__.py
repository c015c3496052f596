"""Helpers of the tools and the package (files, configs, provenance).

Workarounds of the stack live in :mod:`mmseg_dda.compat`; hooks in
:mod:`mmseg_dda.engine.hooks`.
"""
