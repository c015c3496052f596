"""What a tool may write: never into its inputs, never over others' files.

One policy for every tool that writes (``tools/infer.py``, ``tools/test.py
--out/--show-dir``, STEP 1 ``tools/gen_density_maps.py``, STEP 3
``tools/gen_pseudo_labels.py``, ``tools/make_toy_data.py``,
``tools/recalibrate_bn.py``, ``tools/convert_reference_checkpoint.py``,
``tools/fit_gmm.py`` and the demo ``tools/run_demo.py``):

1. **Outputs stay out of the inputs** (:func:`check_outside_inputs`): an
   output folder must not be, lie inside or contain an input folder
   (images, labels, depth, datasets), and an output file must not be an
   input file (a checkpoint, a GMM set). ``tools/infer.py CFG CKPT OUT/label
   --out OUT`` wrote its label maps over the input images.
2. **Only files the tool's manifest lists are overwritten or deleted**
   (:func:`claim_output_folder`). An output folder's ``manifest.json``
   (:mod:`mmseg_dda.utils.provenance`) lists, under ``outputs``, every file
   (or whole tree, ``name/``) the tool writes there, before it writes it.
   A file a run would write that exists but is not listed, e.g. a user's
   own ``0000000.npy`` in a STEP 1 folder, is refused, with or without
   ``--overwrite``; ``--overwrite`` deletes only the listed files. Other
   files in the folder are left alone.
3. **One writer per folder**: :func:`claim_output_folder` takes the
   folder's lock first (:func:`~.work_dir_lock.acquire_folder_lock`).

Single-file outputs (:func:`claim_output_file`: a checkpoint, a GMM JSON)
replace an existing file only when it carries the tool's own mark (e.g. the
converter's ``meta.converter``), which the tool checks with ``is_own``.
"""
import os
import os.path as osp
import shutil
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from .atomic_io import OutputWriteError, atomic_write_json
from .provenance import (MANIFEST_NAME, StaleOutputError, diff_fields,
                         jsonable, manifest_path, read_manifest)
from .work_dir_lock import FolderLockedError, acquire_folder_lock

#: Version of the manifest layout: 2 adds ``outputs``.
MANIFEST_VERSION = 2


class OutputPolicyError(StaleOutputError):
    """An output location overlaps an input, or holds files of others."""


#: What a tool reports as one line ``error: <message>`` (exit code 1): a
#: refused output location, a second writer, a failed write (full disk).
OUTPUT_ERRORS = (StaleOutputError, FolderLockedError, OutputWriteError)


def _real(path: str) -> str:
    return osp.realpath(osp.abspath(os.fspath(path)))


def _inside(path: str, folder: str) -> bool:
    """Whether real path ``path`` is ``folder`` or lies below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_outside_inputs(out: str,
                         trees: Iterable[str] = (),
                         files: Iterable[str] = (),
                         flag: str = '--out',
                         out_is_file: bool = False) -> None:
    """Refuse an output location that overlaps the tool's inputs.

    Args:
        out (str): Output folder (or file, with ``out_is_file``).
        trees (Iterable[str]): Input folders (images, labels, datasets).
            The output must not be one, lie inside one or contain one.
        files (Iterable[str]): Input files (checkpoints, configs, GMM
            sets). An output file must not be one; an output folder must
            not be one.
        flag (str): The option that named ``out``, for the message.
        out_is_file (bool): ``out`` is a file the tool writes.

    Raises:
        OutputPolicyError: Naming the output and the input it overlaps.
    """
    real_out = _real(out)
    for tree in trees:
        if tree is None:
            continue
        real_tree = _real(tree)
        if _inside(real_out, real_tree) or (
                not out_is_file and _inside(real_tree, real_out)):
            where = ('is' if real_out == real_tree else
                     'lies inside' if _inside(real_out, real_tree) else
                     'contains')
            raise OutputPolicyError(
                f'{flag} {out} {where} the input folder {tree}: the outputs '
                'would be written among the inputs (and could replace them). '
                f'Choose an {flag} outside the input folders.')
    for path in files:
        if path is not None and _real(path) == real_out:
            raise OutputPolicyError(
                f'{flag} {out} is the input file {path}: it would be '
                'replaced by the output. Choose another output path.')


def claim_output_file(path: str,
                      is_own: Callable[[str], bool],
                      trees: Iterable[str] = (),
                      files: Iterable[str] = (),
                      flag: str = '--out',
                      tool: str = 'this tool') -> None:
    """Check a single output file before it is written.

    Args:
        path (str): The file the tool will write (atomically).
        is_own (callable): Whether an existing file at ``path`` was written
            by this tool (its mark, e.g. checkpoint ``meta``); only then is
            it replaced. Must not raise.
        trees, files: Inputs, see :func:`check_outside_inputs`.
        flag (str): The option that named ``path``.
        tool (str): The tool, for the message.

    Raises:
        OutputPolicyError: If ``path`` is an input, lies in an input
            folder, is a folder, or exists without the tool's mark.
    """
    check_outside_inputs(path, trees, files, flag, out_is_file=True)
    if osp.isdir(path):
        raise OutputPolicyError(f'{flag} {path} is a folder; give the path '
                                'of the file to write')
    if osp.lexists(path) and not is_own(path):
        raise OutputPolicyError(
            f'{flag} {path} exists and was not written by {tool}: refusing '
            'to replace it. Choose another path, or move the file away '
            'first.')


def _write_manifest(folder: str, kind: str, inputs: Dict,
                    info: Optional[Dict], outputs: Sequence[str]) -> Dict:
    manifest = dict(
        kind=kind,
        manifest_version=MANIFEST_VERSION,
        inputs=inputs,
        info=jsonable(info or {}),
        outputs=sorted(outputs))
    atomic_write_json(manifest_path(folder), manifest)
    return manifest


def listed_outputs(folder: str, manifest: Optional[Dict],
                   legacy: Optional[Callable[[str], bool]] = None
                   ) -> List[str]:
    """The outputs a manifest lists (relative names; ``name/``: a tree).

    A manifest of layout 1 (before ``outputs``) lists nothing; its folder's
    files that ``legacy(name)`` accepts (the tool's output names) count as
    listed, since the same tool wrote that manifest.
    """
    if manifest is None:
        return []
    if isinstance(manifest.get('outputs'), list):
        return [str(n) for n in manifest['outputs']]
    if legacy is None:
        return []
    return sorted(n + ('/' if osp.isdir(osp.join(folder, n)) else '')
                  for n in os.listdir(folder)
                  if legacy(n) and not n.startswith('.'))


def _remove(folder: str, names: Iterable[str]) -> int:
    """Delete listed outputs and the temp files of their interrupted
    writes (``.<name>.<random>.tmp``, :mod:`.atomic_io`)."""
    removed = 0
    for name in names:
        path = osp.join(folder, name.rstrip('/'))
        if name.endswith('/') and osp.isdir(path):
            shutil.rmtree(path)
            removed += 1
        elif osp.isfile(path) or osp.islink(path):
            os.remove(path)
            removed += 1
        sub, base = osp.split(path)
        if not name.endswith('/') and osp.isdir(sub):
            for tmp in os.listdir(sub):
                if tmp.startswith(f'.{base}.') and tmp.endswith('.tmp'):
                    os.remove(osp.join(sub, tmp))
    return removed


def claim_output_folder(folder: str,
                        kind: str,
                        planned: Iterable[str],
                        inputs: Optional[Dict] = None,
                        overwrite: bool = False,
                        info: Optional[Dict] = None,
                        legacy: Optional[Callable[[str], bool]] = None,
                        compare_inputs: bool = True,
                        trees: Iterable[str] = (),
                        files: Iterable[str] = (),
                        flag: str = '--out',
                        log: Callable[[str], None] = print) -> Dict:
    """Make ``folder`` ready for a (resumed) run of a writing tool.

    In order: the folder may not overlap the inputs
    (:func:`check_outside_inputs`); its lock is taken (a second writer is
    refused, naming the first); then its ``manifest.json``:

    * none: a new folder; any ``planned`` file that already exists was made
      by someone else and is refused;
    * another ``kind`` (or not a manifest): refused, even with
      ``overwrite``;
    * other ``inputs`` (when ``compare_inputs``): refused; with
      ``overwrite`` the listed outputs are deleted and the run starts
      afresh;
    * the same ``inputs``: a resume (listed outputs are the run's own).

    Then every ``planned`` name that exists must be listed; the manifest is
    (re)written listing the old and the planned outputs before any output
    is written, so an interrupted run leaves a folder that the same command
    resumes and whose files ``--overwrite`` may delete.

    Args:
        folder (str): Output folder (created if needed).
        kind (str): What the folder holds, e.g. ``'source_density_maps'``.
        planned (Iterable[str]): Names relative to ``folder`` that this
            run writes (``'a/b.png'``; ``'tree/'`` for a whole tree).
        inputs (dict, optional): JSON-able values that decide the
            outputs' numbers (compared on reruns).
        overwrite (bool): Delete the listed outputs of a folder made from
            other inputs and start afresh.
        info (dict, optional): Facts recorded, never compared.
        legacy (callable, optional): Output names of the tool, for
            manifests written before ``outputs`` was recorded.
        compare_inputs (bool): False for tools that are not resumable (a
            rerun replaces its own files whatever the inputs).
        trees, files, flag: Inputs, see :func:`check_outside_inputs`.
        log (callable): Sink for the messages.

    Returns:
        dict: The manifest now in the folder.

    Raises:
        OutputPolicyError: See above; the message names the folder, the
            files and what to do.
        FolderLockedError: If another process writes into ``folder``.
    """
    check_outside_inputs(folder, trees, files, flag)
    if osp.exists(folder) and not osp.isdir(folder):
        raise OutputPolicyError(f'{flag} {folder} is a file, not a folder')
    acquire_folder_lock(folder)
    inputs = jsonable(inputs or {})
    planned = list(dict.fromkeys(planned))
    try:
        old = read_manifest(folder)
    except ValueError as err:
        raise OutputPolicyError(
            f'{err}. It is not a manifest of this project, so the folder '
            f'holds files of others: choose another {flag}.') from None
    if old is not None and old.get('kind') != kind:
        raise OutputPolicyError(
            f'{folder} holds {old.get("kind")!r}, not {kind!r} '
            f'({manifest_path(folder)}): refusing to write into it, with or '
            f'without --overwrite. Choose another {flag}.')
    listed = listed_outputs(folder, old, legacy)
    if old is not None and compare_inputs:
        diffs = diff_fields(old['inputs'], inputs)
        if diffs and not overwrite:
            raise OutputPolicyError(
                f'{folder} was made from other inputs '
                f'({manifest_path(folder)}): ' + '; '.join(diffs) + '. Its '
                'files would be reused as if this run had made them. Rerun '
                'with --overwrite to delete them (only the files its '
                f'{MANIFEST_NAME} lists) and start afresh, or choose another '
                f'{flag}.')
        if diffs or overwrite:
            removed = _remove(folder, listed)
            if removed:
                log(f'--overwrite: deleted {removed} old outputs in {folder} '
                    f'(those its {MANIFEST_NAME} lists)')
            listed, old = [], None
    elif old is not None and overwrite:
        removed = _remove(folder, listed)
        if removed:
            log(f'--overwrite: deleted {removed} old outputs in {folder}')
        listed = []
    own = set(listed)
    foreign = [n for n in planned
               if n not in own and osp.lexists(osp.join(folder,
                                                        n.rstrip('/')))]
    if foreign:
        why = (f'has no {MANIFEST_NAME}' if old is None else
               f'are not listed in its {MANIFEST_NAME}')
        raise OutputPolicyError(
            f'{folder} holds {len(foreign)} files this run would write (e.g. '
            f'{foreign[0]}) that it did not make (the folder {why}). '
            'Refusing to replace them; --overwrite deletes only files a '
            'manifest of this tool lists. Move them away or choose another '
            f'{flag}.')
    outputs = sorted(own | set(planned))
    if old is not None and outputs == sorted(listed) and \
            old.get('manifest_version') == MANIFEST_VERSION:
        return old
    return _write_manifest(folder, kind, inputs,
                           old.get('info') if old is not None and not info
                           else info, outputs)


def checkpoint_marked(meta_key: str) -> Callable[[str], bool]:
    """``is_own`` for :func:`claim_output_file`: a checkpoint whose
    ``meta`` has ``meta_key`` (the writing tool's mark). An unreadable or
    unmarked file is not the tool's."""

    def is_own(path: str) -> bool:
        import torch
        try:
            ckpt = torch.load(path, map_location='cpu', weights_only=True,
                              mmap=True)
        except Exception:  # noqa: BLE001 - unreadable: not ours
            return False
        meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
        return isinstance(meta, dict) and meta_key in meta

    return is_own


def json_marked(keys: Sequence[str], value) -> Callable[[str], bool]:
    """``is_own`` for :func:`claim_output_file`: a JSON file whose nested
    ``keys`` hold ``value`` (e.g. ``_meta.source.tool``)."""

    def is_own(path: str) -> bool:
        import json
        try:
            with open(path, encoding='utf-8') as f:
                node = json.load(f)
            for key in keys:
                node = node[key]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return node == value

    return is_own
