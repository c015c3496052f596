from . import hooks  # noqa: F401
from .bf16_optim_wrapper import (BF16OptimWrapper, cpu_has_bf16_units,
                                 enable_fast_bf16)
from .multi_optim_constructor import MultiOptimWrapperConstructor
from .runner import DDARunner, ResumeConfigError

__all__ = [
    'BF16OptimWrapper', 'DDARunner', 'MultiOptimWrapperConstructor',
    'ResumeConfigError', 'cpu_has_bf16_units', 'enable_fast_bf16'
]
