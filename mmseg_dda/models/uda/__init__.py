from .dda import DDA, LOSS_KEYS, NonFiniteLossError

__all__ = ['DDA', 'LOSS_KEYS', 'NonFiniteLossError']
