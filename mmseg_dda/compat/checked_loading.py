"""MMEngine's Runner keeps unloaded model tensors at their initialisation.

**Upstream problem.** MMEngine 0.10.7's :meth:`Runner.load_checkpoint`
(``load_from``, ``tools/test.py`` and ``--resume``) loads non-strictly and
only warns about model tensors the checkpoint lacks; ``load_from`` and
resume have no way to ask for strict loading, and strict loading would not
know the project's two layouts (segmentor, DDA wrapper).

**Fix.** :func:`install_checked_loading` replaces the method by
:func:`load_checkpoint`: the same steps, with
:func:`mmseg_dda.utils.checked_loading.fit_state_dict` (layout mapping and
refusal) in between, and a context flag that tells it a resume is loading
(a resume needs every tensor, the discriminator included, and a training
checkpoint). Tools that build the model themselves call
:func:`mmseg_dda.utils.checked_loading.load_model_checkpoint` instead.

**Needed by.** MMEngine <= 0.10.7. **Can go** when the Runner can be told
to load strictly and to map keys by a project hook: then
``tests/test_utils/test_checked_loading.py`` passes with this module's
:func:`load_checkpoint` reduced to MMEngine's own.
"""
import contextvars

from mmengine.model import is_model_wrapper

from ..utils.checked_loading import _hint, _revise, fit_state_dict

_RESUMING = contextvars.ContextVar('mmseg_dda_resuming', default=False)


def load_checkpoint(self, filename: str, map_location='cpu',
                    strict: bool = False,
                    revise_keys: list = [(r'^module.', '')]):  # noqa: B006
    """Replacement of :meth:`mmengine.runner.Runner.load_checkpoint`.

    Same steps (load, ``after_load_checkpoint`` hooks, load into the model),
    with :func:`fit_state_dict` in between.
    """
    from mmengine.runner.checkpoint import (_load_checkpoint,
                                            _load_checkpoint_to_model)
    resuming = _RESUMING.get()
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    if resuming and not (isinstance(checkpoint, dict)
                         and {'meta', 'message_hub'} <= set(checkpoint)):
        raise ValueError(
            f'cannot resume from {filename}: it is not a training checkpoint '
            "of tools/train.py (no 'meta'/'message_hub'). Use it as "
            'load_from of a fresh run instead.')
    self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    model = self.model.module if is_model_wrapper(self.model) else self.model
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{filename}: expected a dict (state dict or '
                         f'checkpoint), got {type(checkpoint).__name__}')
    state_dict = _revise(checkpoint.get('state_dict', checkpoint),
                         revise_keys)
    fitted = fit_state_dict(model, state_dict, filename,
                            allow_missing_discriminator=not resuming,
                            logger=self.logger, hint=_hint(checkpoint))
    if 'state_dict' in checkpoint:
        checkpoint['state_dict'] = fitted
        _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=[])
    else:
        _load_checkpoint_to_model(model, fitted, strict, revise_keys=[])
    self._has_loaded = True
    self.logger.info(f'Load checkpoint from {filename}')
    return checkpoint


def install_checked_loading() -> None:
    """Patch :class:`Runner` (idempotent): checked loading, resume flag."""
    from mmengine.runner import Runner

    if getattr(Runner.load_checkpoint, '_mmseg_dda_checked', False):
        return
    load_checkpoint._mmseg_dda_checked = True
    Runner.load_checkpoint = load_checkpoint
    original_resume = Runner.resume

    def resume(self, *args, **kwargs):
        token = _RESUMING.set(True)
        try:
            return original_resume(self, *args, **kwargs)
        finally:
            _RESUMING.reset(token)

    resume.__doc__ = original_resume.__doc__
    Runner.resume = resume
