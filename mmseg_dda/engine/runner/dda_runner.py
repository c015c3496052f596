"""``DDARunner``: MMEngine's Runner with this project's loading and console.

Selected by ``runner_type = 'DDARunner'`` (``configs/_base_/default_runtime.py``)
and built by ``tools/train.py`` / ``tools/test.py`` through ``RUNNERS.build``,
as MMSegmentation's tools build a ``runner_type``. MMEngine's own
:class:`~mmengine.runner.Runner` is not modified.
"""
import os.path as osp

from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from mmseg.registry import RUNNERS

from ...checkpoint import (checkpoint_hint, checkpoint_state_dict,
                           find_latest_checkpoint, fit_state_dict,
                           read_checkpoint)
from ...checkpoint.saving import is_local_path
from ...utils.malloc_tuning import apply_malloc_cfg
from ...utils.pretrained_check import check_pretrained_files
from .config_text import TextCachedConfig
from .console import ConsoleFilter, console_handlers
from .resume_check import (ResumeConfigError, apply_lr_change,
                           config_changes, format_changes, is_lr_key)


@RUNNERS.register_module()
class DDARunner(Runner):
    """MMEngine's :class:`Runner` with checked loading and a concise console.

    Built like the Runner (``DDARunner.from_cfg(cfg)``, or ``RUNNERS.build``
    with ``runner_type='DDARunner'``). What differs:

    * **Checked loading** (``load_from``, ``tools/test.py``, ``--resume``):
      files are read by :func:`~mmseg_dda.checkpoint.read_checkpoint`
      (``weights_only=True``; one-line errors for corrupt, truncated, empty
      and non-checkpoint files) and must fill the whole model
      (:func:`~mmseg_dda.checkpoint.fit_state_dict`, either of the
      project's layouts); resuming also needs the discriminator and a
      training checkpoint.
    * **Resume** continues from the checkpoint that
      :func:`~mmseg_dda.checkpoint.find_latest_checkpoint` finds (a broken
      ``last_checkpoint`` falls back to the newest complete one), and
      states what the new config changes
      (:mod:`~mmseg_dda.engine.runner.resume_check`): settings that cannot
      change mid-run are refused, the others applied and logged, the
      learning rate included.
    * **Console**: the set-up dump (environment, config, hooks) goes to the
      log file only (:mod:`~mmseg_dda.engine.runner.console`).
    * ``env_cfg.malloc_cfg`` is applied to glibc's allocator
      (:mod:`~mmseg_dda.utils.malloc_tuning`), a missing local
      ``Pretrained`` file is reported with the commands that create it
      (:func:`~mmseg_dda.utils.pretrained_check.check_pretrained_files`),
      and the config text is formatted once per content
      (:class:`~mmseg_dda.engine.runner.config_text.TextCachedConfig`).
    """

    def __init__(self, *args, **kwargs) -> None:
        if isinstance(kwargs.get('cfg'), Config):
            kwargs['cfg'] = TextCachedConfig.of(kwargs['cfg'])
        self._resuming = False
        self._lr_changes = []
        super().__init__(*args, **kwargs)
        self._console_filter.setup = False
        log_file = osp.join(self.log_dir, f'{self.timestamp}.log')
        self.logger.info(
            f'Environment, config and hooks: see {log_file} (written to the '
            'log file only)')

    # -- console and environment ----------------------------------------
    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        logger = super().build_logger(
            log_level=log_level, log_file=log_file, **kwargs)
        self._console_filter = ConsoleFilter()
        for handler in console_handlers(logger):
            handler.addFilter(self._console_filter)
        return logger

    def setup_env(self, env_cfg: dict) -> None:
        super().setup_env(env_cfg)
        apply_malloc_cfg(env_cfg.get('malloc_cfg'))

    def _init_model_weights(self) -> None:
        check_pretrained_files(self.cfg)
        super()._init_model_weights()

    # -- loading ------------------------------------------------------------
    def load_or_resume(self) -> None:
        if not self._has_loaded and self._resume and self._load_from is None:
            # MMEngine's lookup trusts last_checkpoint blindly.
            self._load_from = find_latest_checkpoint(self.work_dir)
            if self._load_from is None:
                self._resume = False
                self.logger.info(f'--resume: no checkpoint in '
                                 f'{self.work_dir}; starting afresh')
        super().load_or_resume()

    def resume(self, filename: str, *args, **kwargs) -> None:
        """MMEngine's resume, checked; new learning rates are applied."""
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False
        changes, self._lr_changes = self._lr_changes, []
        for key, before, after in changes:
            parts = key.split('.')
            name = parts[1] if len(parts) == 4 else None
            wrapper = self.optim_wrapper[name] if name else self.optim_wrapper
            schedulers = self.param_schedulers
            if isinstance(schedulers, dict):
                schedulers = schedulers.get(name, [])
            factor = apply_lr_change(wrapper, schedulers, before, after)
            self.logger.info(
                f'resume: {key} {before} -> {after} applied (the restored '
                f'learning rates were scaled by {factor:g}; the schedule '
                'continues at the same iteration)')

    def load_checkpoint(self, filename: str, map_location='cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):  # noqa: B006
        """MMEngine's steps (read, ``after_load_checkpoint`` hooks, load
        into the model), with the project's reader and checks."""
        if is_local_path(filename):
            checkpoint = read_checkpoint(filename, map_location=map_location)
        else:
            checkpoint = CheckpointLoader.load_checkpoint(
                filename, map_location=map_location, logger=self.logger)
        state_dict = checkpoint_state_dict(checkpoint, filename, revise_keys)
        if self._resuming:
            self._check_resume(checkpoint, filename)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        fitted = fit_state_dict(model, state_dict, filename,
                                allow_missing_discriminator=not self._resuming,
                                logger=self.logger,
                                hint=checkpoint_hint(checkpoint))
        load_state_dict(model, fitted, strict=strict, logger=self.logger)
        if 'state_dict' in checkpoint:
            checkpoint['state_dict'] = fitted
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _check_resume(self, checkpoint: dict, filename: str) -> None:
        """A training checkpoint of a config this run may continue."""
        if not {'meta', 'message_hub'} <= set(checkpoint):
            raise ResumeConfigError(
                f'cannot resume from {filename}: it is not a training '
                "checkpoint of tools/train.py (no 'meta'/'message_hub'). Use "
                'it as load_from of a fresh run instead.')
        old_text = (checkpoint['meta'] or {}).get('cfg')
        self._lr_changes = []
        if not isinstance(old_text, str):
            self.logger.warning(f'{filename} stores no config: the changes '
                                'of this run cannot be listed')
            return
        refused, applied = config_changes(old_text, self.cfg.pretty_text)
        if refused:
            raise ResumeConfigError(
                f'cannot resume from {filename}: the config changes '
                f'{len(refused)} settings that cannot change in the middle '
                'of a run (start a new run, e.g. with load_from, '
                'instead):\n' + format_changes(refused))
        self._lr_changes = [c for c in applied if is_lr_key(c[0])]
        if applied:
            self.logger.info(
                f'resume: the config changes {len(applied)} settings since '
                f'{filename}; they apply from here on:\n' +
                format_changes(applied))
