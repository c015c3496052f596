from . import hooks  # noqa: F401
from .multi_optim_constructor import MultiOptimWrapperConstructor

__all__ = ['MultiOptimWrapperConstructor']
