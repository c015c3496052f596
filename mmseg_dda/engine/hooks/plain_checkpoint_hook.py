"""Keep checkpoints plain: loadable with ``weights_only=True``, no DDP keys."""
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import get_state_dict, weights_to_cpu
from mmseg.registry import HOOKS

_MARKER = '__history_buffer__'


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Write checkpoints that load the same way everywhere.

    * MMEngine pickles :class:`HistoryBuffer` objects into ``message_hub``;
      unpickling them needs ``builtins.getattr``, which ``weights_only=True``
      rightly refuses. Every buffer is stored as a dict of tensors and
      rebuilt after loading, so the project's own checkpoints load safely
      both for ``load_from`` and for ``resume``.
    * Under ``MMSeparateDistributedDataParallel`` the Runner saves
      ``model.state_dict()`` of a module whose children are DDP wrappers,
      which inserts ``.module`` into every key (``segmentor.module.*``). The
      weights are re-collected with MMEngine's wrapper-aware
      :func:`get_state_dict`, so single-process and distributed runs write
      the same keys.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        checkpoint['state_dict'] = weights_to_cpu(get_state_dict(model))
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
