"""Refuse unknown keys in the config sections this project defines.

A typo such as ``pseudo_label_cfg.treshold=0.5`` was silently ignored (the
tool read ``threshold`` with a default). Two kinds of sections are checked:

* plain dicts that the project reads by key (:data:`SECTIONS`:
  ``pseudo_label_cfg``, ``model.loss_weights``);
* every ``dict(type=...)`` whose type is a class of this package (model
  parts, GMM density, datasets, transforms, hooks, metrics): its keys
  must be arguments of the class (looked up through ``**kwargs`` that are
  passed on to the base classes). Other libraries' types are left alone.

The error names the section, the unknown key and the known keys, e.g.
``pseudo_label_cfg: unknown key 'treshold'; known keys: dataset, format,
min_count, out_dir, threshold``.
"""
import inspect
from typing import Iterable, Mapping, Optional, Set

from mmseg import registry

#: Plain sections read by key: config path -> known keys.
SECTIONS = {
    'pseudo_label_cfg':
    ('dataset', 'threshold', 'min_count', 'out_dir', 'format'),
    'model.loss_weights':
    ('seg_src', 'density_src', 'depth_src', 'adv_tgt', 'density_tgt'),
}
#: Keys every registry-built dict may carry besides the class's arguments.
_BUILD_KEYS = {'type', '_scope_', '_delete_'}


class UnknownConfigKeyError(KeyError):
    """A config section has a key that nothing reads."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def check_keys(section: str, values: Mapping, known: Iterable[str],
               also_allowed: Iterable[str] = ('_delete_', )) -> None:
    """Raise if ``values`` has keys outside ``known``.

    Args:
        section (str): Config path of the section, for the message.
        values (Mapping): The section.
        known (Iterable[str]): Accepted keys (listed in the message).
        also_allowed (Iterable[str]): Accepted, not listed (config
            machinery such as ``_delete_``).

    Raises:
        UnknownConfigKeyError: Naming the section, the unknown keys and the
            known ones.
    """
    known = set(known)
    unknown = sorted(set(values) - known - set(also_allowed))
    if unknown:
        raise UnknownConfigKeyError(
            f'{section}: unknown key{"s" if len(unknown) > 1 else ""} '
            f'{", ".join(repr(k) for k in unknown)}; known keys: '
            f'{", ".join(sorted(known))}')


def pseudo_label_cfg(cfg: Mapping) -> dict:
    """``cfg.pseudo_label_cfg`` (``{}`` when absent), its keys checked."""
    section = cfg.get('pseudo_label_cfg') or {}
    check_keys('pseudo_label_cfg', section, SECTIONS['pseudo_label_cfg'])
    return section


def _init_args(cls: type) -> Optional[Set[str]]:
    """Argument names of ``cls``, following ``**kwargs`` up the MRO.

    Returns None when they cannot be known (``**kwargs`` all the way up).
    """
    names: Set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if klass is object:
            return None
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind not in (
            p.VAR_KEYWORD, p.VAR_POSITIONAL)} - {'self'}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
    return None


def _project_class(type_name) -> Optional[type]:
    """The class of this package registered under ``type_name``, if one."""
    if isinstance(type_name, type):
        found = [type_name]
    elif isinstance(type_name, str):
        regs = [getattr(registry, name) for name in (
            'MODELS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'METRICS',
            'OPTIM_WRAPPER_CONSTRUCTORS')]
        found = {reg.get(type_name) for reg in regs} - {None}
        found = [c for c in found if isinstance(c, type)]
    else:
        return None
    found = [c for c in found
             if c.__module__.split('.')[0] == 'mmseg_dda']
    return found[0] if len(found) == 1 else None


def _walk(node, path: str) -> None:
    if isinstance(node, Mapping):
        if path in SECTIONS:
            check_keys(path, node, SECTIONS[path])
        cls = _project_class(node.get('type'))
        if cls is not None:
            known = _init_args(cls)
            if known is not None:
                check_keys(f'{path} ({cls.__name__})', node,
                           known | {'type'}, _BUILD_KEYS)
        for key, value in node.items():
            _walk(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            _walk(value, f'{path}.{i}')


def check_config_keys(cfg: Mapping) -> None:
    """Check the project's sections of a whole config (see the module).

    The project's classes are registered by ``import mmseg_dda``, which
    importing this module implies.

    Raises:
        UnknownConfigKeyError: At the first unknown key.
    """
    _walk(cfg, '')
