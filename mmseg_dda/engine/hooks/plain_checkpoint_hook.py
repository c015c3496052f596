"""Keep checkpoints plain: loadable with ``weights_only=True``, no DDP keys."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import get_state_dict, weights_to_cpu
from mmseg.registry import HOOKS

from ...checkpoint.plain_state import from_plain, to_plain


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Write checkpoints that load the same way everywhere.

    * The message-hub history is stored as tensors
      (:mod:`mmseg_dda.checkpoint.plain_state`), so the project's own
      checkpoints load with ``weights_only=True`` for ``load_from`` and
      ``--resume`` alike.
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
        to_plain(checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        from_plain(checkpoint)
