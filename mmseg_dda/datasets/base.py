"""Shared machinery of the UDA datasets: class protocol, split lists, checks.

The concrete datasets (:mod:`.synthia`, :mod:`.cityscapes`,
:mod:`.mapillary`) only describe their folder layout; this base class turns
``num_classes`` into class names, palette and label lookup table, resolves
split lists and produces clear errors for missing folders or files.
"""
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.registry import DefaultScope
from mmseg.datasets import BaseSegDataset

from ..pseudo_labels.label_io import pseudo_label_path
from ..pseudo_labels.manifest import check_pseudo_label_manifest
from .class_mappings import (class_names, class_palette, get_known_ids,
                             get_label_lut, identity_lut)

SPLITS_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'splits')

#: Single-channel label formats by label scheme (what an error names when a
#: colour file is found instead, see ``read_label_image``).
LABEL_FORMATS = {
    'synthia': 'a single-channel PNG of raw SYNTHIA ids (parsed_LABELS)',
    'cityscapes': 'a single-channel *_gtFine_labelIds.png of Cityscapes '
    'labelIds (not *_gtFine_color.png)',
    'mapillary': 'a palette (mode P) PNG of Mapillary v1.2 class indices',
}
PSEUDO_LABEL_FORMAT = 'a single-channel uint8 pseudo-label of train ids'


def reference_split_names(prefix: str) -> List[str]:
    """Names of the shipped reference lists of one dataset.

    Args:
        prefix: ``'synthia'``, ``'cityscapes'`` or ``'mapillary'``.

    Returns:
        list[str]: e.g. ``['train', 'val']`` for ``'cityscapes'``.
    """
    names = []
    for fname in sorted(os.listdir(SPLITS_DIR)):
        if fname.startswith(prefix + '_') and fname.endswith('.txt'):
            names.append(fname[len(prefix) + 1:-4])
    return names


def reference_split_file(prefix: str, name: str) -> str:
    """Path of a shipped reference list ``splits/<prefix>_<name>.txt``.

    Raises:
        ValueError: If no such list is shipped.
    """
    path = osp.join(SPLITS_DIR, f'{prefix}_{name}.txt')
    if not osp.isfile(path):
        raise ValueError(
            f'No reference split {name!r} for {prefix}: shipped lists are '
            f'{reference_split_names(prefix)} (in {SPLITS_DIR}). Pass a file '
            'path (with .txt) to use your own list.')
    return path


def read_split_file(path: str) -> List[str]:
    """Read a split list: one relative image path per line, blanks skipped.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If it holds no entry, or an entry twice (the image
            would weigh double in training and evaluation).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Split list not found: {path}')
    with open(path, encoding='utf-8') as f:
        lines = [(i, line.strip()) for i, line in enumerate(f, 1)
                 if line.strip()]
    if not lines:
        raise ValueError(f'Split list {path} is empty: expected one image '
                         'name per line.')
    first: Dict[str, int] = {}
    for i, name in lines:
        if name in first:
            raise ValueError(
                f'Split list {path} lists {name} twice (lines {first[name]} '
                f'and {i}): each image once, or it counts double.')
        first[name] = i
    return [name for _, name in lines]


class UDABaseDataset(BaseSegDataset):
    """Base of the SYNTHIA / Cityscapes / Mapillary UDA datasets.

    Subclasses set ``SPLIT_PREFIX`` (name of their shipped lists),
    ``LABEL_SCHEME`` (see :func:`get_label_lut`), ``LAYOUT`` (the expected
    folder tree, shown in errors) and implement :meth:`load_data_list`.

    Args:
        data_root: Dataset root folder.
        num_classes: 16 or 7; selects class names, palette and label LUT.
        ann_file: ``''`` scans the image folder; a bare name such as
            ``'train'``, ``'val'``, ``'all'`` or ``'selftrain'`` (no ``/``,
            no ``.txt``) selects the shipped reference list
            ``mmseg_dda/datasets/splits/<dataset>_<name>.txt``; anything else
            is a list file path, relative to ``data_root`` unless absolute.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`
            (``pipeline``, ``test_mode``, ``indices``, ``serialize_data``...).
    """
    SPLIT_PREFIX = ''
    LABEL_SCHEME = ''
    LAYOUT = ''
    METAINFO: dict = dict()

    def __init__(self,
                 data_root: str,
                 num_classes: int = 16,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if data_root is None or not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data_root not found: {data_root}\n'
                f'Expected layout:\n{self.LAYOUT}')
        self.num_classes = num_classes
        meta = dict(classes=class_names(num_classes),
                    palette=class_palette(num_classes))
        if metainfo:
            meta.update(metainfo)
        if len(meta['classes']) != num_classes:
            raise ValueError(
                f'{type(self).__name__}: metainfo has '
                f'{len(meta["classes"])} classes but num_classes='
                f'{num_classes}')
        self.label_lut = self._build_label_lut()
        self.label_known = self._build_label_known()
        # Resolve pipeline transform names in mmseg's registry even when no
        # default scope is set (tools and tests outside a Runner).
        scope = None if DefaultScope.get_current_instance() else 'mmseg'
        with DefaultScope.overwrite_default_scope(scope):
            super().__init__(
                ann_file=self._resolve_ann_file(ann_file),
                metainfo=meta,
                data_root=data_root,
                data_prefix=dict(),
                reduce_zero_label=False,
                **kwargs)

    # -- class protocol -------------------------------------------------
    @property
    def uses_train_id_labels(self) -> bool:
        """True when labels are already train ids (pseudo-label mode)."""
        return False

    def _build_label_lut(self) -> np.ndarray:
        if self.uses_train_id_labels:
            return identity_lut(self.num_classes)
        return get_label_lut(self.LABEL_SCHEME, self.num_classes)

    def _build_label_known(self) -> np.ndarray:
        if self.uses_train_id_labels:
            return get_known_ids(f'train_ids_{self.num_classes}')
        return get_known_ids(self.LABEL_SCHEME)

    @property
    def label_format(self) -> Optional[str]:
        """The single-channel format of the label files (colour files are
        refused), or None when multi-channel files are expected."""
        if self.uses_train_id_labels:
            return PSEUDO_LABEL_FORMAT
        return LABEL_FORMATS.get(self.LABEL_SCHEME)

    # -- split lists ----------------------------------------------------
    def _resolve_ann_file(self, ann_file: str) -> str:
        if not ann_file:
            return ''
        is_name = ('/' not in ann_file and os.sep not in ann_file
                   and not ann_file.endswith('.txt'))
        if is_name:
            return reference_split_file(self.SPLIT_PREFIX, ann_file)
        return ann_file

    def _list_images(self, img_dir: str, suffix: str,
                     recursive: bool) -> List[str]:
        """Image paths relative to ``img_dir``: from ``ann_file`` when set,
        else a sorted scan of ``img_dir`` for ``suffix``."""
        if self.ann_file:
            return read_split_file(self.ann_file)
        names = []
        if recursive:
            for dirpath, _, files in os.walk(img_dir):
                rel = osp.relpath(dirpath, img_dir)
                names += [f if rel == '.' else osp.join(rel, f)
                          for f in files if f.endswith(suffix)]
        else:
            names = [f for f in os.listdir(img_dir) if f.endswith(suffix)]
        if not names:
            raise FileNotFoundError(
                f'{type(self).__name__}: no *{suffix} image in {img_dir}\n'
                f'Expected layout:\n{self.LAYOUT}')
        return sorted(names)

    # -- checks ---------------------------------------------------------
    def _require_dir(self, path: str, what: str) -> str:
        if not osp.isdir(path):
            raise FileNotFoundError(
                f'{type(self).__name__}: {what} folder not found: {path}\n'
                f'Expected layout:\n{self.LAYOUT}')
        return path

    def _require_pair(self, img_path: str, other: str, what: str) -> None:
        if not osp.isfile(img_path):
            raise FileNotFoundError(
                f'{type(self).__name__}: image {img_path} (listed in '
                f'{self.ann_file or "the folder scan"}) does not exist')
        if not osp.isfile(other):
            raise FileNotFoundError(
                f'{type(self).__name__}: image {img_path} has no {what}: '
                f'expected {other}')

    # -- data infos -----------------------------------------------------
    def _base_info(self, img_path: str) -> Dict:
        return dict(img_path=img_path, seg_fields=[],
                    reduce_zero_label=False)

    def get_data_info(self, idx: int) -> dict:
        """Data info of sample ``idx`` with the class-protocol fields.

        ``label_lut`` / ``label_known`` are added here rather than stored in
        every entry of ``data_list``, so the serialised list stays small.
        """
        info = super().get_data_info(idx)
        info['label_lut'] = self.label_lut
        info['label_known'] = self.label_known
        info['label_format'] = self.label_format
        info['num_classes'] = self.num_classes
        return info

    def load_data_list(self) -> List[dict]:  # pragma: no cover - abstract
        raise NotImplementedError

    def prepare_data(self, idx: int):
        """Run the pipeline; unreadable files are reported with the sample.

        mmcv's image loading raises e.g. ``OSError: image file is
        truncated`` without a file name; the sample's image path is added.
        """
        try:
            return super().prepare_data(idx)
        except OSError as err:
            img_path = self.get_data_info(idx).get('img_path')
            if img_path and img_path in str(err):
                raise
            raise OSError(f'{type(self).__name__}: cannot load sample {idx} '
                          f'(image {img_path}): {err}') from err


class UDATargetDataset(UDABaseDataset):
    """Base of the target-domain datasets (Cityscapes, Mapillary).

    Three label modes:

    * labelled (default): the dataset's own label file, mapped by the LUT;
    * unlabelled (``with_labels=False``): images only, as the stage-1 target
      loader (§13.16: target-train labels are never required);
    * pseudo-labels (``pseudo_label_dir=...``): labels are
      ``<pseudo_label_dir>/<basename(img)><pseudo_label_suffix>``, already
      train ids (identity LUT).

    Subclasses call :meth:`_with_label` for each image in
    :meth:`load_data_list`.

    Args:
        data_root: Dataset root folder.
        with_labels: Add ``seg_map_path`` from the dataset's label files.
        pseudo_label_dir: Folder of pseudo-labels (used as given, i.e.
            relative to the working directory unless absolute). Its
            ``manifest.json`` (``tools/gen_pseudo_labels.py``) must record
            this dataset's class count, type and the suffix's format;
            folders without one are used with a warning.
        pseudo_label_suffix: ``'.png'`` (default) or ``'.tiff'``.
        **kwargs: See :class:`UDABaseDataset`.
    """

    def __init__(self,
                 data_root: str,
                 with_labels: bool = True,
                 pseudo_label_dir: Optional[str] = None,
                 pseudo_label_suffix: str = '.png',
                 **kwargs) -> None:
        check_pseudo_label_dir(type(self).__name__, pseudo_label_dir)
        if pseudo_label_suffix not in ('.png', '.tiff'):
            raise ValueError("pseudo_label_suffix must be '.png' or '.tiff', "
                             f'got {pseudo_label_suffix!r}')
        self.with_labels = with_labels
        self.pseudo_label_dir = pseudo_label_dir
        self.pseudo_label_suffix = pseudo_label_suffix
        if pseudo_label_dir is not None:
            # Labels made for another class count or dataset would load
            # and train on wrong ids.
            check_pseudo_label_manifest(
                pseudo_label_dir,
                dict(num_classes=kwargs.get('num_classes', 16),
                     format=pseudo_label_suffix[1:],
                     dataset_type=type(self).__name__),
                owner=type(self).__name__)
        super().__init__(data_root=data_root, **kwargs)

    @property
    def uses_train_id_labels(self) -> bool:
        return self.pseudo_label_dir is not None

    @property
    def reads_dataset_labels(self) -> bool:
        """True when the dataset's own label files are read."""
        return self.with_labels and self.pseudo_label_dir is None

    def _with_label(self, info: Dict, label_path: Optional[str]) -> Dict:
        """Attach the pseudo-label or ``label_path`` to ``info``, checked.

        Args:
            info: Data info from :meth:`_base_info`.
            label_path: The dataset's label file of the image; ``None`` when
                :attr:`reads_dataset_labels` is False.
        """
        if self.pseudo_label_dir is not None:
            label_path = pseudo_label_path(self.pseudo_label_dir,
                                           info['img_path'],
                                           self.pseudo_label_suffix[1:])
            self._require_pair(info['img_path'], label_path, 'pseudo-label')
        elif label_path is not None:
            self._require_pair(info['img_path'], label_path, 'label')
        else:
            if not osp.isfile(info['img_path']):
                self._require_pair(info['img_path'], '', 'image')
            return info
        info['seg_map_path'] = label_path
        return info


def check_pseudo_label_dir(dataset_name: str, path: Optional[str]) -> None:
    if path is not None and not osp.isdir(path):
        raise FileNotFoundError(
            f'{dataset_name}: pseudo_label_dir not found: {path}\nExpected '
            'layout: <pseudo_label_dir>/<image basename>.png (or .tiff), '
            'uint8 train ids, 255 = ignore')

