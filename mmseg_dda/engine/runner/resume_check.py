"""What a resumed run changes, compared with the run it continues.

MMEngine stores the config of a training run in every checkpoint
(``meta['cfg']``, its ``pretty_text``) and, on ``--resume``, restores the
optimiser and scheduler states over whatever the new config says: a new
learning rate was silently ignored. :func:`config_changes` compares the
two configs, setting by setting, and sorts each difference:

* **refused** -- settings that cannot change in the middle of a run:
  ``model``, ``train_dataloader``, ``randomness``, ``param_scheduler``,
  ``optim_wrapper`` (except the learning rates), ``train_cfg`` (except
  ``max_iters`` / ``max_epochs`` / ``val_interval`` / ``val_begin``),
  ``data_preprocessor``, ``auto_scale_lr``, ``default_scope``;
  :class:`ResumeConfigError` lists them all;
* **applied** (and logged) -- every other setting the Runner reads, built
  anew from the new config (the iteration count, validation, logging,
  checkpoint and visualisation hooks, ...), and the learning rates
  (``optim_wrapper[.<name>].optimizer.lr``), which
  :meth:`~mmseg_dda.engine.DDARunner.resume` applies to the restored
  optimiser and schedulers (:func:`apply_lr_change`): the schedule
  continues at the same position with the new base learning rate.

``load_from`` and ``resume`` (how a run starts) and the config's helper
variables (``data_root``, ``crop_size``, ...: their effect is in the
settings above) are not compared. The stored text is parsed with
:mod:`ast` (literals and ``dict(...)`` only): nothing of the checkpoint is
executed.
"""
import ast
from typing import Any, Dict, List, Tuple

#: Top-level settings of MMEngine's Runner (the ones compared).
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'launcher',
    'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
    'randomness', 'experiment_name', 'runner_type')
#: Settings that cannot change in the middle of a run (dotted prefixes).
FIXED = ('model', 'train_dataloader', 'randomness', 'param_scheduler',
         'optim_wrapper', 'train_cfg', 'data_preprocessor', 'auto_scale_lr',
         'default_scope')
#: Exceptions inside :data:`FIXED` that take effect when changed.
CHANGEABLE = ('train_cfg.max_iters', 'train_cfg.max_epochs',
              'train_cfg.val_interval', 'train_cfg.val_begin')

_MISSING = '<not set>'


class ResumeConfigError(ValueError):
    """The resumed run's config changes settings that cannot change."""


class _Unparsed(str):
    """Source text of a value that is not a literal (compared as text)."""


def _value(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values)
                if k is not None}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(e) for e in node.elts]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args):
        return {kw.arg: _value(kw.value) for kw in node.keywords
                if kw.arg is not None}
    if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    return _Unparsed(ast.unparse(node))


def parse_config_text(text: str) -> Dict[str, Any]:
    """Top-level ``name = value`` settings of a config's ``pretty_text``.

    Raises:
        SyntaxError: If the text is not Python.
    """
    settings = {}
    for statement in ast.parse(text).body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    settings[target.id] = _value(statement.value)
    return settings


def _flatten(value: Any, prefix: str, out: Dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f'{prefix}.{key}', out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _flatten(item, f'{prefix}.{i}', out)
    else:
        out[prefix] = value


def _flat(settings: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key in RUNNER_KEYS:
        if key in settings:
            _flatten(settings[key], key, out)
    return out


def is_lr_key(key: str) -> bool:
    """``optim_wrapper.optimizer.lr`` or ``optim_wrapper.<name>...lr``."""
    parts = key.split('.')
    return (parts[0] == 'optim_wrapper' and parts[-2:] == ['optimizer', 'lr']
            and len(parts) in (3, 4))


def _fixed(key: str) -> bool:
    if is_lr_key(key) or key.startswith(
            tuple(c for c in CHANGEABLE)):
        return False
    return key.split('.')[0] in FIXED


Change = Tuple[str, Any, Any]


def config_changes(old_text: str,
                   new_text: str) -> Tuple[List[Change], List[Change]]:
    """Differences of two configs' texts: ``(refused, applied)``.

    Args:
        old_text (str): ``pretty_text`` stored in the checkpoint.
        new_text (str): ``pretty_text`` of the resumed run.

    Returns:
        tuple: Two lists of ``(key, old value, new value)``, dotted keys.
    """
    old = _flat(parse_config_text(old_text))
    new = _flat(parse_config_text(new_text))
    refused, applied = [], []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        if before == after:
            continue
        (refused if _fixed(key) else applied).append((key, before, after))
    return refused, applied


def format_changes(changes: List[Change], limit: int = 30) -> str:
    """``key: old -> new`` lines (at most ``limit``)."""
    lines = [f'  {key}: {before!r} -> {after!r}'
             for key, before, after in changes[:limit]]
    if len(changes) > limit:
        lines.append(f'  ... and {len(changes) - limit} more')
    return '\n'.join(lines)


def apply_lr_change(optim_wrapper, schedulers, old_lr: float,
                    new_lr: float) -> float:
    """Rescale a restored optimiser and its schedulers to a new base LR.

    Every parameter group's ``lr`` and ``initial_lr`` and each scheduler's
    base and last values are multiplied by ``new_lr / old_lr``: the
    schedule continues at the same iteration from the new base LR, and
    per-group multipliers (``paramwise_cfg``) are kept.

    Returns:
        float: The factor applied.

    Raises:
        ResumeConfigError: If ``old_lr`` is 0 (no factor exists).
    """
    if not old_lr:
        raise ResumeConfigError(
            f'the learning rate was {old_lr}: a new one ({new_lr}) cannot be '
            'applied by rescaling; start a new run with load_from instead')
    factor = float(new_lr) / float(old_lr)
    for group in optim_wrapper.param_groups:
        group['lr'] = group['lr'] * factor
        if 'initial_lr' in group:
            group['initial_lr'] = group['initial_lr'] * factor
    for scheduler in schedulers or []:
        if getattr(scheduler, 'param_name', 'lr') != 'lr':
            continue
        scheduler.base_values = [v * factor for v in scheduler.base_values]
        if getattr(scheduler, '_last_value', None) is not None:
            scheduler._last_value = [
                v * factor for v in scheduler._last_value]
    return factor
