"""Console output a person reads; the full record stays in the log file.

MMEngine's Runner logs, while it is being built, the system and runtime
environment, the whole config and the hook order: about 480 lines before the
first training iteration. :class:`~mmseg_dda.engine.DDARunner` puts a
:class:`ConsoleFilter` on its console handlers: those set-up INFO records go
to the work_dir log file only (``<work_dir>/<timestamp>/<timestamp>.log``)
and one line says where they are; warnings and errors still reach the
console, and everything after construction (progress, losses, metrics) is
logged as before. A few known, harmless framework warnings
(:data:`FILE_ONLY_WARNINGS`) are written to the file only, too.
"""
import logging
from typing import List

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
