"""Output-folder manifests: what produced a resumable output folder.

The resumable tools (STEP 1 ``tools/gen_density_maps.py``, STEP 3
``tools/gen_pseudo_labels.py``, ``tools/make_toy_data.py``) skip files that
already exist. Reusing a file is only right when it was made from the same
inputs, so each folder holds a ``manifest.json`` with the inputs that decide
its numbers (``inputs``, compared on every rerun) and some facts for the
reader (``info``, never compared), and the files the tool wrote there
(``outputs``). A rerun with other inputs is refused with the differing
fields, or, with ``overwrite``, the listed outputs are deleted: see
:func:`mmseg_dda.utils.output_policy.claim_output_folder`, the one function
that prepares an output folder. Readers of the outputs (the training
datasets) compare the fields they know with :func:`read_manifest`.
"""
import hashlib
import json
import os.path as osp
from typing import Dict, Iterable, List, Optional

import numpy as np


MANIFEST_NAME = 'manifest.json'


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
