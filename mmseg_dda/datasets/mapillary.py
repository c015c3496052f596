"""Mapillary Vistas v1.2 as UDA target, 7 classes (docs/method.md §7.5)."""
import os.path as osp
from typing import List, Optional

from mmseg.registry import DATASETS

from .base import UDATargetDataset

SELFTRAIN_SIZE = 9000


@DATASETS.register_module()
class MapillaryUDADataset(UDATargetDataset):
    """Mapillary Vistas (v1.2 labels) mapped to the 7-class protocol.

    Labels are palette PNGs; :class:`LoadMappedAnnotations` keeps the palette
    *indices* (the 66 v1.2 classes, 65 = unlabelled) and maps them by the
    table of §7.5. Modes as in :class:`CityscapesUDADataset` (labelled,
    ``with_labels=False``, ``pseudo_label_dir``).

    The ``'selftrain'`` split reads images from the ``train`` folder and keeps
    the first ``selftrain_size`` (9000) entries of the train list: the
    ``ann_file`` when given (``'selftrain'`` selects the shipped list, which
    equals the first 9000 lines of ``'train'``), else the sorted folder scan.

    Args:
        data_root: Mapillary root (see ``LAYOUT``).
        split: ``'train'``, ``'validation'`` or ``'selftrain'``.
        num_classes: Must be 7.
        ann_file: ``''`` (scan), ``'train'`` / ``'validation'`` /
            ``'selftrain'`` (shipped lists) or a list file of ``<id>.jpg``.
        with_labels: Add ``seg_map_path`` from ``<split>/labels``.
        pseudo_label_dir: Folder of pseudo-labels (used as given).
        pseudo_label_suffix: ``'.png'`` (default) or ``'.tiff'``.
        selftrain_size: Length of the ``'selftrain'`` split.
        **kwargs: See :class:`UDABaseDataset`.
    """
    SPLIT_PREFIX = 'mapillary'
    LABEL_SCHEME = 'mapillary'
    LAYOUT = ('<data_root>/\n'
              '  <split>/images/<id>.jpg      (split: train, validation; '
              "'selftrain' reads train)\n"
              '  <split>/labels/<id>.png      v1.2 palette PNG, 66 classes '
              '(not needed with with_labels=False or pseudo_label_dir)')

    def __init__(self,
                 data_root: str,
                 split: str = 'validation',
                 num_classes: int = 7,
                 ann_file: str = '',
                 with_labels: bool = True,
                 pseudo_label_dir: Optional[str] = None,
                 pseudo_label_suffix: str = '.png',
                 selftrain_size: int = SELFTRAIN_SIZE,
                 **kwargs) -> None:
        if num_classes != 7:
            raise ValueError('MapillaryUDADataset supports the 7-class '
                             f'protocol only, got num_classes={num_classes}')
        self.split = split
        self.folder = 'train' if split == 'selftrain' else split
        self.selftrain_size = selftrain_size
        super().__init__(
            data_root=data_root,
            num_classes=num_classes,
            ann_file=ann_file,
            with_labels=with_labels,
            pseudo_label_dir=pseudo_label_dir,
            pseudo_label_suffix=pseudo_label_suffix,
            img_suffix='.jpg',
            seg_map_suffix='.png',
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Build one data info per image (label files checked up front)."""
        split_dir = self._require_dir(
            osp.join(self.data_root, self.folder), 'split')
        img_dir = self._require_dir(osp.join(split_dir, 'images'), 'image')
        label_dir = None
        if self.reads_dataset_labels:
            label_dir = self._require_dir(osp.join(split_dir, 'labels'),
                                          'label')
        names = self._list_images(img_dir, self.img_suffix, False)
        if self.split == 'selftrain':
            names = names[:self.selftrain_size]
        return [
            self._with_label(
                self._base_info(osp.join(img_dir, name)),
                osp.join(label_dir, osp.splitext(name)[0] + '.png')
                if label_dir is not None else None) for name in names
        ]
