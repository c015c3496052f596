"""Cityscapes as UDA target (docs/method.md §7.4)."""
import os.path as osp
from typing import List, Optional

from mmseg.registry import DATASETS

from .base import UDATargetDataset

IMG_SUFFIX = '_leftImg8bit.png'
LABEL_SUFFIX = '_gtFine_labelIds.png'


@DATASETS.register_module()
class CityscapesUDADataset(UDATargetDataset):
    """Cityscapes with labels mapped from ``gtFine_labelIds`` (16/7 classes).

    Three modes:

    * labelled (default): ``seg_map_path`` = the ``*_gtFine_labelIds.png``
      file, mapped through the labelId LUT (§7.2; the 7-class protocol
      needs labelIds because caravan/trailer are vehicle there);
    * unlabelled (``with_labels=False``): images only, as the stage-1 target
      loader (§13.16: target-train labels are never required);
    * pseudo-labels (``pseudo_label_dir=...``): labels are
      ``<pseudo_label_dir>/<basename(img)><pseudo_label_suffix>``, already
      train ids (identity LUT).

    Args:
        data_root: Cityscapes root (see ``LAYOUT``).
        split: Folder split, ``'train'`` or ``'val'``.
        num_classes: 16 or 7.
        ann_file: ``''`` (scan), ``'train'`` / ``'val'`` (shipped reference
            lists) or a list file of ``city/<name>_leftImg8bit.png`` entries.
        with_labels: Add ``seg_map_path`` from ``gtFine``.
        pseudo_label_dir: Folder of pseudo-labels (used as given, i.e.
            relative to the working directory unless absolute).
        pseudo_label_suffix: ``'.png'`` (default) or ``'.tiff'``.
        **kwargs: See :class:`UDABaseDataset`.
    """
    SPLIT_PREFIX = 'cityscapes'
    LABEL_SCHEME = 'cityscapes'
    LAYOUT = ('<data_root>/\n'
              '  leftImg8bit/<split>/<city>/<name>_leftImg8bit.png\n'
              '  gtFine/<split>/<city>/<name>_gtFine_labelIds.png   '
              '(not needed with with_labels=False or pseudo_label_dir)')

    def __init__(self,
                 data_root: str,
                 split: str = 'val',
                 num_classes: int = 16,
                 ann_file: str = '',
                 with_labels: bool = True,
                 pseudo_label_dir: Optional[str] = None,
                 pseudo_label_suffix: str = '.png',
                 **kwargs) -> None:
        self.split = split
        super().__init__(
            data_root=data_root,
            num_classes=num_classes,
            ann_file=ann_file,
            with_labels=with_labels,
            pseudo_label_dir=pseudo_label_dir,
            pseudo_label_suffix=pseudo_label_suffix,
            img_suffix=IMG_SUFFIX,
            seg_map_suffix=LABEL_SUFFIX,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Build one data info per image (label files checked up front)."""
        img_dir = self._require_dir(
            osp.join(self.data_root, 'leftImg8bit', self.split), 'image')
        label_dir = None
        if self.reads_dataset_labels:
            label_dir = self._require_dir(
                osp.join(self.data_root, 'gtFine', self.split), 'label')
        data_list = []
        for name in self._list_images(img_dir, IMG_SUFFIX, True):
            label = None
            if label_dir is not None:
                if not name.endswith(IMG_SUFFIX):
                    raise ValueError(
                        f'{type(self).__name__}: {name} (in '
                        f'{self.ann_file or img_dir}) does not end with '
                        f'{IMG_SUFFIX}')
                label = osp.join(label_dir,
                                 name[:-len(IMG_SUFFIX)] + LABEL_SUFFIX)
            data_list.append(
                self._with_label(
                    self._base_info(osp.join(img_dir, name)), label))
        return data_list
