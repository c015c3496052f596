"""A checkpoint must fill the whole model it is loaded into.

MMEngine's loading (``Runner.load_checkpoint``, ``load_checkpoint``, so
``load_from``, ``tools/test.py``, ``--resume`` and MMSeg's ``init_model``)
only warns about model tensors that the checkpoint lacks and keeps their
random initialisation: a self-training checkpoint tested with the stage-1
config was evaluated with random weights, exit code 0.

:func:`fit_state_dict` maps a state dict onto the model's layout, then
refuses it, listing the missing tensors, unless every parameter and buffer
of the model is in it. It runs in :class:`~mmseg_dda.engine.DDARunner`'s
loading (with the file name, and strict about the discriminator when
resuming), in :func:`~mmseg_dda.checkpoint.load_model_checkpoint` and, for
every other way of loading a whole model (MMSeg's ``init_model`` and
``MMSegInferencer``, ``model.load_state_dict``), in the load-state-dict
pre-hook that this project's models register
(:func:`register_checked_loading`). The project writes two layouts:

* **segmentor**: ``backbone.*``, ``decode_head.*``, ... (source-only and
  self-training runs, converted reference checkpoints);
* **DDA wrapper**: ``segmentor.*`` and ``discriminator.*`` (stage 1).

A DDA checkpoint loads into a segmentor (its ``segmentor.`` part; the
discriminator is ignored) and a segmentor checkpoint into a DDA model's
segmentor. The discriminator alone may then stay at its initialisation,
with a log line: it takes no part in testing, and a new stage trains it
from scratch. Resuming needs every tensor, the discriminator included.
BN ``num_batches_tracked`` counters are not required (MMEngine ignores
them too; evaluation does not read them).
"""
from collections import OrderedDict
from typing import Dict, List

from mmengine.runner.checkpoint import get_state_dict

SEGMENTOR = 'segmentor.'
DISCRIMINATOR = 'discriminator.'


class IncompleteCheckpointError(RuntimeError):
    """The checkpoint leaves tensors of the model at their initialisation."""


def _summary(keys: List[str], limit: int = 8) -> str:
    """``n tensors: backbone (318), decode_head (8); e.g. a, b, ...``."""
    groups: Dict[str, int] = OrderedDict()
    for key in keys:
        parts = key.split('.')
        group = '.'.join(parts[:2] if parts[0] == 'segmentor' else parts[:1])
        groups[group] = groups.get(group, 0) + 1
    shown = ', '.join(keys[:limit]) + (', ...' if len(keys) > limit else '')
    return (f'{len(keys)} tensors: ' +
            ', '.join(f'{g} ({n})' for g, n in groups.items()) +
            f'; e.g. {shown}')


def _move_metadata(state_dict, new: OrderedDict, rename) -> OrderedDict:
    """Carry the module versions (``_metadata``) over to renamed keys."""
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        moved = OrderedDict()
        for key, value in metadata.items():
            # Metadata keys are module prefixes without the final dot.
            renamed = rename(key + '.' if key else '')
            if renamed is not None:
                moved[renamed[:-1] if renamed else ''] = value
        new._metadata = moved
    return new


def fit_state_dict(model, state_dict: dict, filename: str,
                   allow_missing_discriminator: bool,
                   logger=None, hint: str = '') -> OrderedDict:
    """Map ``state_dict`` onto ``model``'s layout; refuse it if incomplete.

    Args:
        model (nn.Module): The (unwrapped) model to be loaded.
        state_dict (dict): Weights, already without DDP ``module.`` prefixes.
        filename (str): Name of the checkpoint, for the messages.
        allow_missing_discriminator (bool): Accept a checkpoint without the
            ``discriminator.*`` tensors of a DDA model (testing, ``load_from``
            of a new stage); not when resuming.
        logger: Where to log what was adapted or ignored (MMLogger).
        hint (str): Appended to the refusal (what the file is instead).

    Returns:
        OrderedDict: The state dict in the model's layout.

    Raises:
        IncompleteCheckpointError: If a tensor of the model is not in the
            checkpoint (the message lists them), or a DDA discriminator has
            tensors of other shapes.
    """
    # Wrapper-aware: under MMSeparateDistributedDataParallel the children
    # are DDP modules, whose own state_dict() keys carry ``.module``.
    own = get_state_dict(model)
    wrapper = any(k.startswith(SEGMENTOR) for k in own)
    dda_ckpt = any(k.startswith(SEGMENTOR) for k in state_dict)
    notes = []
    if wrapper and not dda_ckpt:
        def rename(key):
            return SEGMENTOR + key
        notes.append('segmentor checkpoint loaded into the DDA model\'s '
                     'segmentor')
    elif not wrapper and dda_ckpt:
        def rename(key):
            return key[len(SEGMENTOR):] if key.startswith(SEGMENTOR) else None
        dropped = sum(not k.startswith(SEGMENTOR) for k in state_dict)
        notes.append(f'DDA checkpoint: its segmentor part is used, {dropped} '
                     'other tensors (discriminator) are ignored')
    else:
        def rename(key):
            return key
    fitted = OrderedDict()
    for key, value in state_dict.items():
        new_key = rename(key)
        if new_key is not None:
            fitted[new_key] = value
    fitted = _move_metadata(state_dict, fitted, rename)

    missing = [k for k in own
               if k not in fitted and not k.endswith('num_batches_tracked')]
    disc = [k for k in own if k.startswith(DISCRIMINATOR)]
    if (wrapper and allow_missing_discriminator and disc
            and set(disc) <= set(missing)):
        missing = [k for k in missing if not k.startswith(DISCRIMINATOR)]
        if not missing:
            notes.append('it has no discriminator: the discriminator keeps '
                         'its initialisation (no part of testing; a new '
                         'stage trains it from scratch)')
    if missing:
        got = list(state_dict)[:3]
        raise IncompleteCheckpointError(
            f'{filename} does not fit the {type(model).__name__} model of '
            f'the config: {_summary(missing)} of the model are not in the '
            f'checkpoint (it has {len(state_dict)} tensors, e.g. {got}). '
            'Loading it would leave them at their random initialisation. '
            'Check that the checkpoint belongs to this config (the '
            'segmentor and DDA layouts of this project load into either '
            'model).' + hint)
    bad = [(k, tuple(v.shape), tuple(own[k].shape)) for k, v in fitted.items()
           if k in own and hasattr(v, 'shape')
           and tuple(v.shape) != tuple(own[k].shape)]
    # The segmentor reports its own mismatches (naming the class count).
    if bad and all(k.startswith(DISCRIMINATOR) for k, _, _ in bad):
        key, got, want = bad[0]
        raise IncompleteCheckpointError(
            f'{filename}: {len(bad)} discriminator tensors have other shapes '
            f'than the model, e.g. {key}: checkpoint {got} vs model {want}')
    if notes and logger is not None:
        logger.info(f'{filename}: ' + '; '.join(notes))
    return fitted


def checked_loading_pre_hook(module, state_dict, prefix, local_metadata,
                             strict, missing_keys, unexpected_keys,
                             error_msgs) -> None:
    """Load-state-dict pre-hook: fit the whole state dict, refuse gaps.

    Acts when ``module`` is loaded as a whole (``prefix == ''``): the
    state dict is mapped onto the module's layout in place (keys and
    ``_metadata``) by :func:`fit_state_dict`, which raises
    :class:`IncompleteCheckpointError` if it leaves tensors unset. When the
    module is part of a larger model, the larger model's loading decides.
    """
    if prefix:
        return
    fitted = fit_state_dict(module, state_dict, 'the state dict',
                            allow_missing_discriminator=True)
    if list(fitted) != list(state_dict):
        metadata = getattr(state_dict, '_metadata', None)
        state_dict.clear()
        state_dict.update(fitted)
        moved = getattr(fitted, '_metadata', None)
        if metadata is not None and moved is not None:
            # The loaders read children's metadata from this same object.
            metadata.clear()
            metadata.update(moved)


def register_checked_loading(module) -> None:
    """Make ``module.load_state_dict`` (and MMEngine's loading) checked.

    Called by this project's model classes in ``__init__``.
    """
    module.register_load_state_dict_pre_hook(checked_loading_pre_hook)
