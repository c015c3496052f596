"""Build a config's segmentor with checked checkpoint loading.

The one builder of the tools that run the segmentor themselves (STEP 3
pseudo-labels, the t-SNE analysis): ``cfg.model`` may be a ``DDA`` (its
``segmentor`` is used) or a ``DepthDensitySegmentor``, the checkpoint may
come from either, and a checkpoint that leaves a segmentor tensor unloaded
is refused (:func:`~mmseg_dda.checkpoint.load_model_checkpoint`).
"""
from typing import Tuple

from mmengine.config import Config
from mmseg.registry import MODELS

from ..checkpoint import load_model_checkpoint


def build_segmentor(cfg: Config, checkpoint: str, device: str = 'cpu',
                    logger=None) -> Tuple:
    """Build ``cfg.model``, load ``checkpoint`` into its segmentor.

    Args:
        cfg (Config): Config with a ``DDA`` or ``DepthDensitySegmentor``
            model (the default scope must be set, e.g. with
            :func:`mmengine.registry.init_default_scope`).
        checkpoint (str): Checkpoint of a DDA model or of a segmentor.
        device (str): Device to move the modules to. Defaults to ``'cpu'``.
        logger: Where to log what the loading adapted (e.g. the ignored
            discriminator of a DDA checkpoint); an MMLogger.

    Returns:
        tuple: ``(segmentor, data_preprocessor)`` in eval mode on ``device``.

    Raises:
        TypeError: If the model has no segmentor with ``forward_heads``.
        IncompleteCheckpointError: If the checkpoint leaves a tensor of the
            segmentor unloaded.
    """
    model = MODELS.build(cfg.model)
    segmentor = getattr(model, 'segmentor', model)
    if not hasattr(segmentor, 'forward_heads'):
        raise TypeError(f'{cfg.filename}: cfg.model builds '
                        f'{type(segmentor).__name__}, which has no '
                        'forward_heads (expected DepthDensitySegmentor)')
    load_model_checkpoint(segmentor, checkpoint, logger=logger)
    preprocessor = model.data_preprocessor
    return (segmentor.to(device).eval(), preprocessor.to(device).eval())
