"""Reading, writing and checking the source density maps (STEP 1 output).

Two on-disk layouts of the raw (unsquashed) source density maps exist
(docs/DESIGN.md, docs/method.md §3.4, §7.6):

* ``npy`` (default): ``<dir>/<stem>.npy``, one float32 array ``(C, h, w)``;
* ``tiff`` (reference): ``<dir>/<stem>-<c>.tiff``, one float32 TIFF (PIL mode
  ``'F'``) of shape ``(h, w)`` per class c.

All writes are atomic (temporary file in the same folder + ``os.replace``), so
an interrupted run never leaves a half-written map under its final name.
The readers refuse NaN, inf and negative cells (:func:`check_density_values`).
"""
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ...utils.atomic_io import atomic_open
from ...utils.provenance import read_manifest

LAYOUTS = ('npy', 'tiff', 'both')
# <stem>.npy or <stem>-<c>.tiff; hidden temp files of atomic writes excluded.
_OUTPUT_NAME = re.compile(r'[^.].*(\.npy|-\d+\.tiff)')


def npy_path(out_dir: str, stem: str) -> str:
    """Path of the ``npy`` layout for one image."""
    return osp.join(out_dir, f'{stem}.npy')


def tiff_paths(prefix: str, num_classes: int) -> List[str]:
    """Paths ``<prefix>-<c>.tiff`` of the reference layout."""
    return [f'{prefix}-{c}.tiff' for c in range(num_classes)]


def _atomic_write(path: str, write_fn) -> None:
    """Write via ``write_fn(file_object)`` to a temp file, then rename."""
    with atomic_open(path) as f:
        write_fn(f)


def save_density_maps(maps: np.ndarray,
                      out_dir: str,
                      stem: str,
                      layout: str = 'npy') -> List[str]:
    """Atomically write the raw maps of one image.

    Args:
        maps (np.ndarray): float32 ``(C, h, w)`` raw pdf values.
        out_dir (str): Output folder (must exist).
        stem (str): File stem, e.g. ``'0000000'``.
        layout (str): ``'npy'``, ``'tiff'`` or ``'both'``.

    Returns:
        list[str]: The paths written.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    maps = np.ascontiguousarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f'density maps must be (C, h, w), got {maps.shape}')
    written = []
    if layout in ('npy', 'both'):
        path = npy_path(out_dir, stem)
        _atomic_write(path, lambda f: np.save(f, maps))
        written.append(path)
    if layout in ('tiff', 'both'):
        for c, path in enumerate(tiff_paths(osp.join(out_dir, stem),
                                            len(maps))):
            img = Image.fromarray(maps[c], mode='F')
            _atomic_write(path, lambda f, im=img: im.save(f, format='TIFF'))
            written.append(path)
    return written


def is_density_output(name: str) -> bool:
    """Whether a file name is an output of STEP 1 (either layout)."""
    return bool(_OUTPUT_NAME.fullmatch(name))


def check_density_values(maps: np.ndarray, path: str) -> np.ndarray:
    """Refuse NaN, inf and negative cells (a pdf is finite and >= 0).

    Args:
        maps (np.ndarray): Density maps read from ``path``.
        path (str): Where they come from, for the message.

    Returns:
        np.ndarray: ``maps`` unchanged.

    Raises:
        ValueError: Naming ``path`` and the number of bad cells.
    """
    bad = ~np.isfinite(maps)
    if bad.any():
        raise ValueError(f'{path}: {int(bad.sum())} density-map cells are '
                         'NaN or inf (expected finite values >= 0); '
                         'regenerate the maps (tools/gen_density_maps.py)')
    if (maps < 0).any():
        raise ValueError(f'{path}: {int((maps < 0).sum())} density-map cells'
                         ' are negative (expected finite values >= 0); '
                         'regenerate the maps (tools/gen_density_maps.py)')
    return maps


def _npy_complete(path: str, shape: Sequence[int]) -> bool:
    """True if ``path`` is a whole float32 ``.npy`` of the given shape
    whose values are finite and >= 0 (decoded, not only its header)."""
    try:
        with open(path, 'rb') as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                header = np.lib.format.read_array_header_2_0(f)
            else:
                return False
            hdr_shape, fortran, dtype = header
            offset = f.tell()
        expected = offset + int(np.prod(hdr_shape)) * dtype.itemsize
        if not (tuple(hdr_shape) == tuple(shape) and dtype == np.float32
                and not fortran and osp.getsize(path) == expected):
            return False
        check_density_values(np.load(path, allow_pickle=False), path)
        return True
    except (OSError, ValueError):
        return False


def _tiff_complete(path: str, shape_hw: Sequence[int]) -> bool:
    try:
        with Image.open(path) as img:
            if img.mode != 'F' or img.size != (shape_hw[1], shape_hw[0]):
                return False
            plane = np.array(img, dtype=np.float32)  # a truncated file raises
        check_density_values(plane, path)
        return True
    except (OSError, ValueError, SyntaxError):
        return False


def output_exists(out_dir: str, stem: str, layout: str) -> bool:
    """Whether any output file of one image exists (complete or not)."""
    if layout in ('npy', 'both') and osp.exists(npy_path(out_dir, stem)):
        return True
    return layout in ('tiff', 'both') and osp.exists(
        f'{osp.join(out_dir, stem)}-0.tiff')


def outputs_complete(out_dir: str, stem: str, layout: str,
                     shape: Sequence[int]) -> bool:
    """Whether every output of one image exists, decodes to ``shape``
    (float32) and holds finite values >= 0.

    Args:
        out_dir (str): Output folder.
        stem (str): File stem.
        layout (str): ``'npy'``, ``'tiff'`` or ``'both'``.
        shape (Sequence[int]): Expected ``(C, h, w)``.
    """
    if layout in ('npy', 'both') and not _npy_complete(
            npy_path(out_dir, stem), shape):
        return False
    if layout in ('tiff', 'both'):
        prefix = osp.join(out_dir, stem)
        return all(
            _tiff_complete(p, shape[1:])
            for p in tiff_paths(prefix, shape[0]))
    return True


def load_density_maps(path_or_prefix: str, num_classes: int) -> np.ndarray:
    """Read the source density maps of one image, in either layout.

    Args:
        path_or_prefix (str): The ``.npy`` file, or the TIFF prefix
            ``<dir>/<stem>`` of the reference layout (``<prefix>-<c>.tiff``).
            A prefix whose ``.npy`` exists but whose TIFFs do not is read as
            ``npy``.
        num_classes (int): Expected number of classes C.

    Returns:
        np.ndarray: float32 ``(C, h, w)``, the raw pdf (the loading
        transform squashes it, :func:`mmseg_dda.density.squash_density`).

    Raises:
        FileNotFoundError: If no map of either layout exists.
        ValueError: If a file is unreadable, of the wrong class count, or
            holds NaN, inf or negative cells.
    """
    path = str(path_or_prefix)
    if path.endswith('.npy'):
        maps = _load_npy(path)
    elif osp.isfile(f'{path}-0.tiff'):
        maps = _load_tiffs(path, num_classes)
    elif osp.isfile(f'{path}.npy'):
        maps = _load_npy(f'{path}.npy')
    else:
        raise FileNotFoundError(
            f'no source density maps at {path!r}: neither {path}-0.tiff nor '
            f'{path}.npy exists')
    if maps.shape[0] != num_classes:
        raise ValueError(f'{path}: density maps have {maps.shape[0]} classes, '
                         f'expected {num_classes}')
    return check_density_values(maps, path)


def _load_npy(path: str) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'density map file not found: {path}')
    try:
        maps = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: unreadable density maps ({e})') from e
    if maps.ndim != 3 or not np.issubdtype(maps.dtype, np.floating):
        raise ValueError(f'{path}: expected a float (C, h, w) array, got '
                         f'{maps.dtype} {maps.shape}')
    return maps.astype(np.float32, copy=False)


def _load_tiffs(prefix: str, num_classes: int) -> np.ndarray:
    planes = []
    for path in tiff_paths(prefix, num_classes):
        if not osp.isfile(path):
            raise FileNotFoundError(f'density map file not found: {path}')
        try:
            with Image.open(path) as img:
                if img.mode != 'F':
                    raise ValueError(f'{path}: expected a float32 TIFF (mode '
                                     f"'F'), got mode {img.mode!r}")
                planes.append(np.array(img, dtype=np.float32))
        except (OSError, SyntaxError) as e:
            raise ValueError(f'{path}: unreadable TIFF ({e})') from e
    if len({p.shape for p in planes}) != 1:
        raise ValueError(f'{prefix}-*.tiff: classes have different sizes '
                         f'{sorted({p.shape for p in planes})}')
    return np.stack(planes)


def density_maps_grid(folder: str, num_classes: Optional[int] = None,
                      sample: Optional[str] = None
                      ) -> Optional[Tuple[int, int]]:
    """Grid of the source density maps in ``folder`` (STEP 1 output).

    Read from the folder's ``manifest.json`` (``inputs.grid_hw`` or
    ``inputs.grid``) when present, else from the shape of one map (``sample``:
    a ``.npy`` file or a TIFF prefix; else the first ``.npy``/``-0.tiff`` in
    the folder). None when the folder holds no maps.
    """
    manifest = read_manifest(folder) if osp.isdir(folder) else None
    if manifest is not None:
        for key in ('grid_hw', 'grid'):
            grid = manifest['inputs'].get(key)
            if grid is not None:
                return int(grid[0]), int(grid[1])
    if sample is None and osp.isdir(folder):
        names = sorted(os.listdir(folder))
        npy = [n for n in names if n.endswith('.npy')]
        tif = [n for n in names if n.endswith('-0.tiff')]
        if npy:
            sample = osp.join(folder, npy[0])
        elif tif:
            sample = osp.join(folder, tif[0][:-len('-0.tiff')])
    if sample is None:
        return None
    if sample.endswith('.npy') or not osp.isfile(f'{sample}-0.tiff'):
        path = sample if sample.endswith('.npy') else f'{sample}.npy'
        if not osp.isfile(path):
            return None
        shape = np.load(path, mmap_mode='r').shape
        return int(shape[-2]), int(shape[-1])
    with Image.open(f'{sample}-0.tiff') as img:
        w, h = img.size
    return int(h), int(w)
