"""Cityscapes as UDA target (METHOD.md §7.4)."""
import os.path as osp
from typing import List, Optional

from mmseg.registry import DATASETS

from .base import UDABaseDataset, check_pseudo_label_dir, pseudo_label_path

IMG_SUFFIX = '_leftImg8bit.png'
LABEL_SUFFIX = '_gtFine_labelIds.png'


@DATASETS.register_module()
class CityscapesUDADataset(UDABaseDataset):
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
        check_pseudo_label_dir(type(self).__name__, pseudo_label_dir)
        self.split = split
        self.with_labels = with_labels
        self.pseudo_label_dir = pseudo_label_dir
        self.pseudo_label_suffix = pseudo_label_suffix
        super().__init__(
            data_root=data_root,
            num_classes=num_classes,
            ann_file=ann_file,
            img_suffix=IMG_SUFFIX,
            seg_map_suffix=LABEL_SUFFIX,
            **kwargs)

    @property
    def uses_train_id_labels(self) -> bool:
        return self.pseudo_label_dir is not None

    def load_data_list(self) -> List[dict]:
        """Build one data info per image (label files checked up front)."""
        img_dir = self._require_dir(
            osp.join(self.data_root, 'leftImg8bit', self.split), 'image')
        label_dir = None
        if self.with_labels and self.pseudo_label_dir is None:
            label_dir = self._require_dir(
                osp.join(self.data_root, 'gtFine', self.split), 'label')
        data_list = []
        for name in self._list_images(img_dir, IMG_SUFFIX, True):
            info = self._base_info(osp.join(img_dir, name))
            if self.pseudo_label_dir is not None:
                path = pseudo_label_path(self.pseudo_label_dir,
                                         info['img_path'],
                                         self.pseudo_label_suffix)
                self._require_pair(info['img_path'], path, 'pseudo-label')
                info['seg_map_path'] = path
            elif label_dir is not None:
                if not name.endswith(IMG_SUFFIX):
                    raise ValueError(
                        f'{type(self).__name__}: {name} (in '
                        f'{self.ann_file or img_dir}) does not end with '
                        f'{IMG_SUFFIX}')
                path = osp.join(label_dir,
                                name[:-len(IMG_SUFFIX)] + LABEL_SUFFIX)
                self._require_pair(info['img_path'], path, 'label')
                info['seg_map_path'] = path
            elif not osp.isfile(info['img_path']):
                self._require_pair(info['img_path'], '', 'image')
            data_list.append(info)
        return data_list
