"""The project's runner (``runner_type='DDARunner'``)."""
from .dda_runner import DDARunner
from .resume_check import ResumeConfigError

__all__ = ['DDARunner', 'ResumeConfigError']
