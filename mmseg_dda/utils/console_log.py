"""Console output a person reads; the full record stays in the log file.

MMEngine's Runner logs, while it is being built, the system and runtime
environment, the whole config and the hook order: about 480 lines before the
first training iteration. :class:`ConsoleRunner` sends those set-up INFO
records to the work_dir log file only (``<work_dir>/<timestamp>/<timestamp>
.log``) and prints one line saying where they are; warnings and errors still
reach the console, and everything after construction (progress, losses,
metrics) is logged as before. A few known, harmless framework warnings
(:data:`FILE_ONLY_WARNINGS`) are written to the file only, too.

:func:`enable_tensorboard` adds MMEngine's TensorBoard backend to the
visualizer (``tools/train.py --tensorboard``).
"""
import importlib.util
import logging
import os.path as osp
from typing import List

from mmengine.runner import Runner

from .malloc_tuning import apply_malloc_cfg
from .pretrained_check import check_pretrained_files

#: Logger warnings of the stack that say nothing about the run (by prefix).
FILE_ONLY_WARNINGS = (
    'The prefix is not set in metric class',
    '"FileClient" will be deprecated in future',
    '"HardDiskBackend" is the alias of "LocalBackend"',
)


class ConsoleFilter(logging.Filter):
    """Keeps set-up INFO records and known noise off a console handler.

    Attributes:
        setup (bool): While True (the Runner is being built), records below
            WARNING are dropped.
    """

    def __init__(self) -> None:
        super().__init__('mmseg_dda.console')
        self.setup = True

    def filter(self, record: logging.LogRecord) -> bool:
        if self.setup and record.levelno < logging.WARNING:
            return False
        if record.levelno == logging.WARNING:
            message = record.getMessage()
            if message.startswith(FILE_ONLY_WARNINGS):
                return False
        return True


def console_handlers(logger: logging.Logger) -> List[logging.Handler]:
    """The handlers of ``logger`` that write to a terminal stream (not to a
    file; ``FileHandler`` is a ``StreamHandler`` too)."""
    return [
        h for h in logger.handlers if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
    ]


class ConsoleRunner(Runner):
    """MMEngine's :class:`Runner` with a readable console (see module doc).

    Built like the Runner (``ConsoleRunner.from_cfg(cfg)``). Besides the
    console, two changes: ``env_cfg.malloc_cfg`` is applied to glibc's
    allocator (:mod:`~mmseg_dda.utils.malloc_tuning`), and a missing local
    ``Pretrained`` initialisation file (the converted ImageNet weights) is
    reported with the commands that create it, before MMEngine fails on it
    (:func:`~mmseg_dda.utils.pretrained_check.check_pretrained_files`).
    """

    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        logger = super().build_logger(
            log_level=log_level, log_file=log_file, **kwargs)
        self._console_filter = ConsoleFilter()
        for handler in console_handlers(logger):
            handler.addFilter(self._console_filter)
        return logger

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._console_filter.setup = False
        log_file = osp.join(self.log_dir, f'{self.timestamp}.log')
        self.logger.info(
            f'Environment, config and hooks: see {log_file} (written to the '
            'log file only)')

    def setup_env(self, env_cfg: dict) -> None:
        super().setup_env(env_cfg)
        apply_malloc_cfg(env_cfg.get('malloc_cfg'))

    def _init_model_weights(self) -> None:
        check_pretrained_files(self.cfg)
        super()._init_model_weights()


def enable_tensorboard(cfg) -> None:
    """Add ``TensorboardVisBackend`` to ``cfg.visualizer.vis_backends``.

    Scalars (losses, learning rates, metrics) are then also written as
    TensorBoard events to ``<work_dir>/<timestamp>/vis_data/``; view them
    with ``tensorboard --logdir <work_dir>``.

    Raises:
        ImportError: If the ``tensorboard`` package is not installed (it is
            the optional extra ``pip install -e '.[tensorboard]'``).
    """
    if importlib.util.find_spec('tensorboard') is None:
        raise ImportError(
            "--tensorboard needs the 'tensorboard' package: install the "
            "optional extra with  .venv/bin/pip install -e '.[tensorboard]'")
    visualizer = cfg.setdefault('visualizer', {})
    backends = list(visualizer.get('vis_backends') or [])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends
