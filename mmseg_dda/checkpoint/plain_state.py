"""Training checkpoints made of tensors and plain values only.

MMEngine pickles :class:`~mmengine.logging.HistoryBuffer` objects into a
checkpoint's ``message_hub``; unpickling them needs ``builtins.getattr``,
which ``weights_only=True`` rightly refuses. :func:`to_plain` stores every
buffer as a dict of tensors and :func:`from_plain` rebuilds it after
loading, so the project's own checkpoints load safely for ``load_from``
and ``--resume`` alike (used by
:class:`~mmseg_dda.engine.hooks.PlainCheckpointHook`).
"""
import torch
from mmengine.logging import HistoryBuffer

_MARKER = '__history_buffer__'


def to_plain(checkpoint: dict) -> None:
    """Replace the message hub's history buffers by tensors (in place)."""
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


def from_plain(checkpoint: dict) -> None:
    """Rebuild the history buffers stored by :func:`to_plain` (in place)."""
    scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
    for key, value in list(scalars.items()):
        if isinstance(value, dict) and value.get(_MARKER):
            scalars[key] = HistoryBuffer(value['log_history'].tolist(),
                                         value['count_history'].tolist(),
                                         value['max_length'])
