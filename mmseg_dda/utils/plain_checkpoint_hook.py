"""Keep checkpoints loadable with ``torch.load(weights_only=True)``."""
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmseg.registry import HOOKS

_MARKER = '__history_buffer__'


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Store the message-hub history as plain tensors in checkpoints.

    MMEngine pickles :class:`HistoryBuffer` objects into ``message_hub``;
    unpickling them needs ``builtins.getattr``, which ``weights_only=True``
    rightly refuses. This hook swaps every buffer for a dict of tensors before
    saving and rebuilds it after loading, so the project's own checkpoints
    load safely both for ``load_from`` and for ``resume``.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, buffer in list(scalars.items()):
            if isinstance(buffer, HistoryBuffer):
                logs, counts = buffer.data
                scalars[key] = {
                    _MARKER: True,
                    'log_history': torch.as_tensor(logs, dtype=torch.float64),
                    'count_history': torch.as_tensor(counts,
                                                     dtype=torch.float64),
                    'max_length': int(buffer.max_length),
                }

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, value in list(scalars.items()):
            if isinstance(value, dict) and value.get(_MARKER):
                scalars[key] = HistoryBuffer(
                    value['log_history'].tolist(),
                    value['count_history'].tolist(), value['max_length'])
