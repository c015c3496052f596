"""Output-folder manifests: what produced a resumable output folder.

The resumable tools (STEP 1 ``tools/gen_density_maps.py``, STEP 3
``tools/gen_pseudo_labels.py``, ``tools/make_toy_data.py``) skip files that
already exist. Reusing a file is only right when it was made from the same
inputs, so each folder holds a ``manifest.json`` with the inputs that decide
its numbers (``inputs``, compared on every rerun) and some facts for the
reader (``info``, never compared). A rerun with other inputs is refused with
the differing fields, or, with ``overwrite``, the old outputs are deleted.
Readers of the outputs (the training datasets) compare the fields they know
with :func:`read_manifest`.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional

import numpy as np

from .atomic_io import atomic_write_json

MANIFEST_NAME = 'manifest.json'
#: Version of the manifest layout (not of the outputs).
MANIFEST_VERSION = 1


class StaleOutputError(RuntimeError):
    """An output folder was made from other inputs than the current run's."""


def manifest_path(folder: str) -> str:
    """Path of the manifest of an output folder."""
    return osp.join(folder, MANIFEST_NAME)


def jsonable(value):
    """``value`` as plain JSON types (tuples become lists, numpy scalars
    and arrays become Python numbers and lists), so that a value compares
    equal to itself after a round trip through the manifest."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def sha256_arrays(*arrays) -> str:
    """SHA-256 over the dtype, shape and bytes of numpy arrays/tensors."""
    digest = hashlib.sha256()
    for arr in arrays:
        if hasattr(arr, 'detach'):  # torch tensor
            arr = arr.detach().cpu().numpy()
        arr = np.ascontiguousarray(arr)
        digest.update(f'{arr.dtype.str}{arr.shape}'.encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def sha256_state_dict(state: Dict) -> str:
    """SHA-256 of a state dict: key names, dtypes, shapes and values.

    Independent of file metadata (save time, optimiser state, ``meta``), so
    two files with the same weights have the same identity.
    """
    import torch
    digest = hashlib.sha256()
    for key in sorted(state):
        value = state[key]
        digest.update(key.encode())
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous()
            digest.update(f'{t.dtype}{tuple(t.shape)}'.encode())
            digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()


def read_manifest(folder: str) -> Optional[Dict]:
    """The manifest of ``folder``, or None when it has none.

    Raises:
        ValueError: If the manifest exists but is not a valid manifest.
    """
    path = manifest_path(folder)
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: unreadable manifest ({e}); delete the '
                         'folder or rerun the tool with --overwrite') from e
    if not isinstance(data, dict) or not isinstance(data.get('inputs'), dict):
        raise ValueError(f'{path}: not a manifest (expected a JSON object '
                         "with an 'inputs' object)")
    return data


def diff_fields(old: Dict, new: Dict,
                keys: Optional[Iterable[str]] = None) -> List[str]:
    """``'field: old X vs new Y'`` for every field that differs.

    Args:
        old (dict): Recorded inputs.
        new (dict): Current inputs.
        keys (Iterable[str], optional): Compare only these fields (those the
            caller knows); default: all fields of both.
    """
    old, new = jsonable(old), jsonable(new)
    names = sorted(set(old) | set(new)) if keys is None else list(keys)
    out = []
    for name in names:
        a, b = old.get(name, '<not recorded>'), new.get(name, '<not set>')
        if a != b:
            out.append(f'{name}: old {_short(a)} vs new {_short(b)}')
    return out


def _short(value, limit: int = 200) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def prepare_output_dir(folder: str,
                       kind: str,
                       inputs: Dict,
                       is_output: Callable[[str], bool],
                       overwrite: bool = False,
                       info: Optional[Dict] = None,
                       log: Callable[[str], None] = print) -> Dict:
    """Make ``folder`` ready for a (resumed) run of a resumable tool.

    * no manifest and no outputs: a new folder, the manifest is written;
    * a manifest with the same ``kind`` and ``inputs``: a resume;
    * other inputs, another kind, or outputs without a manifest:
      :class:`StaleOutputError`.

    With ``overwrite`` the outputs (the files for which ``is_output(name)``
    is true, plus hidden temp files of interrupted writes) and the manifest
    are deleted first, whatever made them, and the run starts afresh.

    The manifest is written before any output, so an interrupted first run
    leaves a folder that the same command resumes.

    Args:
        folder (str): Output folder (created if needed).
        kind (str): What the folder holds, e.g. ``'source_density_maps'``.
        inputs (dict): JSON-able values that decide the outputs' numbers.
        is_output (callable): Whether a file name is one of the outputs.
        overwrite (bool): Delete the old outputs and start afresh.
        info (dict, optional): Facts recorded but never compared.
        log (callable): Sink for the messages.

    Returns:
        dict: The manifest now in the folder.
    """
    os.makedirs(folder, exist_ok=True)
    inputs = jsonable(inputs)
    if overwrite:
        removed = _remove_outputs(folder, is_output)
        if removed:
            log(f'--overwrite: deleted {removed} old files in {folder}')
        return _write(folder, kind, inputs, info)
    old = read_manifest(folder)
    outputs = _outputs(folder, is_output)
    problem = None
    if old is None:
        if outputs:
            problem = (f'{folder} holds {len(outputs)} output files (e.g. '
                       f'{outputs[0]}) but no {MANIFEST_NAME}, so what made '
                       'them is unknown')
    elif old.get('kind') != kind:
        problem = (f'{folder} holds {old.get("kind")!r}, not {kind!r} '
                   f'({manifest_path(folder)})')
    else:
        diffs = diff_fields(old['inputs'], inputs)
        if diffs:
            problem = (f'{folder} was made from other inputs '
                       f'({manifest_path(folder)}): ' + '; '.join(diffs))
    if problem is not None:
        raise StaleOutputError(
            f'{problem}. Its files would be reused as if this run had made '
            'them. Rerun with --overwrite to delete them and start afresh, '
            'or choose another output folder.')
    return old if old is not None else _write(folder, kind, inputs, info)


def _write(folder: str, kind: str, inputs: Dict,
           info: Optional[Dict]) -> Dict:
    manifest = dict(
        kind=kind,
        manifest_version=MANIFEST_VERSION,
        inputs=inputs,
        info=jsonable(info or {}))
    atomic_write_json(manifest_path(folder), manifest)
    return manifest


def _outputs(folder: str, is_output: Callable[[str], bool]) -> List[str]:
    return sorted(n for n in os.listdir(folder)
                  if is_output(n) and osp.isfile(osp.join(folder, n)))


def _remove_outputs(folder: str, is_output: Callable[[str], bool]) -> int:
    """Delete outputs, temp files of interrupted writes and the manifest."""
    removed = 0
    for name in os.listdir(folder):
        path = osp.join(folder, name)
        temp = name.startswith('.') and name.endswith('.tmp')
        if osp.isfile(path) and (is_output(name) or temp
                                 or name == MANIFEST_NAME):
            os.remove(path)
            removed += 1
    return removed
