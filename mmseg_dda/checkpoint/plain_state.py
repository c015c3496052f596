"""Training checkpoints made of tensors and plain values only.

MMEngine pickles :class:`~mmengine.logging.HistoryBuffer` objects into a
checkpoint's ``message_hub``; unpickling them needs ``builtins.getattr``,
which ``weights_only=True`` rightly refuses. :func:`to_plain` stores every
buffer as a dict of tensors and :func:`from_plain` rebuilds it after
loading. NumPy scalars and arrays that MMEngine and MMSeg put into
``meta`` and the message hub become Python numbers and lists. The
project's own checkpoints thus load with a bare
``torch.load(weights_only=True)`` (MMSeg's ``init_model`` included), for
``load_from`` and ``--resume`` alike (used by
:class:`~mmseg_dda.engine.hooks.PlainCheckpointHook`).
"""
import numpy as np
import torch
from mmengine.logging import HistoryBuffer

_MARKER = '__history_buffer__'


def _without_numpy(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        for key, item in list(value.items()):
            value[key] = _without_numpy(item)
        return value
    if isinstance(value, list):
        value[:] = [_without_numpy(item) for item in value]
        return value
    if isinstance(value, tuple):
        return type(value)(_without_numpy(item) for item in value) \
            if not hasattr(value, '_fields') else value
    return value


def to_plain(checkpoint: dict) -> None:
    """Replace the message hub's history buffers by tensors and NumPy
    values in ``meta`` and the message hub by Python ones (in place)."""
    scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
    for key, buffer in list(scalars.items()):
        if isinstance(buffer, HistoryBuffer):
            logs, counts = buffer.data
            scalars[key] = {
                _MARKER: True,
                'log_history': torch.as_tensor(logs, dtype=torch.float64),
                'count_history': torch.as_tensor(counts, dtype=torch.float64),
                'max_length': int(buffer.max_length),
            }
    for key in ('meta', 'message_hub'):
        if isinstance(checkpoint.get(key), dict):
            _without_numpy(checkpoint[key])


def from_plain(checkpoint: dict) -> None:
    """Rebuild the history buffers stored by :func:`to_plain` (in place)."""
    scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
    for key, value in list(scalars.items()):
        if isinstance(value, dict) and value.get(_MARKER):
            scalars[key] = HistoryBuffer(value['log_history'].tolist(),
                                         value['count_history'].tolist(),
                                         value['max_length'])
