"""SYNTHIA-RAND-CITYSCAPES source dataset (docs/method.md §7.3, §3.4)."""
import os
import os.path as osp
from typing import List

from mmseg.registry import DATASETS

from ..density.manifest import check_density_maps_manifest, label_lut_sha256
from .base import UDABaseDataset

_LABEL_DIRS = {'parsed': 'parsed_LABELS', 'gt': osp.join('GT', 'LABELS')}


@DATASETS.register_module()
class SynthiaDataset(UDABaseDataset):
    """SYNTHIA-RAND-CITYSCAPES with labels, depth and source density maps.

    Labels are raw SYNTHIA ids, mapped to train ids by
    :class:`LoadMappedAnnotations` through ``label_lut`` (16 or 7 classes,
    §7.2). Depth is the 16-bit centimetre PNG read by
    :class:`LoadInverseDepth`.

    Args:
        data_root: SYNTHIA root (see ``LAYOUT``).
        num_classes: 16 or 7.
        ann_file: ``''`` (scan ``RGB/``), ``'all'`` (shipped 9400-image
            reference list) or a list file.
        label_layout: ``'parsed'`` for ``parsed_LABELS/`` (single-channel raw
            ids, the DADA/CTRL/DDA distribution) or ``'gt'`` for
            ``GT/LABELS/`` (16-bit multi-channel PNG, id in the red channel).
        with_depth: Add ``depth_map_path``.
        with_density_maps: Add ``density_map_path`` (precomputed maps).
        density_map_layout: ``'npy'`` (``<dir>/<stem>.npy``, float32
            ``(C, h, w)`` raw pdf) or ``'tiff'`` (reference layout
            ``<dir>/<stem>-<c>.tiff``; the data info then holds the prefix
            ``<dir>/<stem>``).
        density_map_dir: Folder of the maps, relative to ``data_root``. Its
            ``manifest.json`` (written by ``tools/gen_density_maps.py``) must
            record this dataset's class count, label folder and label table
            and hold ``density_map_layout``; maps without one are used with
            a warning.
        **kwargs: See :class:`UDABaseDataset`.
    """
    SPLIT_PREFIX = 'synthia'
    LABEL_SCHEME = 'synthia'
    LAYOUT = ('<data_root>/\n'
              '  RGB/0000000.png ...             8-bit RGB\n'
              '  parsed_LABELS/0000000.png ...   raw SYNTHIA ids (default), '
              'or GT/LABELS/ (label_layout="gt")\n'
              '  Depth/0000000.png ...           uint16 depth, cm\n'
              '  source_density_maps/0000000.npy (or 0000000-<c>.tiff), '
              'only with with_density_maps=True')

    def __init__(self,
                 data_root: str,
                 num_classes: int = 16,
                 ann_file: str = '',
                 label_layout: str = 'parsed',
                 with_depth: bool = True,
                 with_density_maps: bool = False,
                 density_map_layout: str = 'npy',
                 density_map_dir: str = 'source_density_maps',
                 img_suffix: str = '.png',
                 **kwargs) -> None:
        if label_layout not in _LABEL_DIRS:
            raise ValueError(f"label_layout must be one of "
                             f"{sorted(_LABEL_DIRS)}, got {label_layout!r}")
        if density_map_layout not in ('npy', 'tiff'):
            raise ValueError("density_map_layout must be 'npy' or 'tiff', "
                             f'got {density_map_layout!r}')
        self.label_layout = label_layout
        self.with_depth = with_depth
        self.with_density_maps = with_density_maps
        self.density_map_layout = density_map_layout
        self.density_map_dir = density_map_dir
        super().__init__(
            data_root=data_root,
            num_classes=num_classes,
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix='.png',
            **kwargs)

    @property
    def label_format(self):
        # GT/LABELS is multi-channel (id in the red channel).
        return super().label_format if self.label_layout == 'parsed' else None

    def load_data_list(self) -> List[dict]:
        """Build one data info per image (paths checked up front)."""
        root = self.data_root
        img_dir = self._require_dir(osp.join(root, 'RGB'), 'image')
        label_dir = self._require_dir(
            osp.join(root, _LABEL_DIRS[self.label_layout]), 'label')
        depth_dir = (self._require_dir(osp.join(root, 'Depth'), 'depth')
                     if self.with_depth else None)
        dens_dir = (self._step1(self._require_dir,
                                osp.join(root, self.density_map_dir),
                                'density map')
                    if self.with_density_maps else None)
        if dens_dir:
            # Maps made for another class count or label table would load
            # without error and train on wrong targets.
            check_density_maps_manifest(
                dens_dir,
                dict(num_classes=self.num_classes,
                     label_dir=[osp.basename(label_dir)],
                     label_lut_sha256=label_lut_sha256(self.label_lut)),
                layout=self.density_map_layout, owner=type(self).__name__)
        # One listing per folder instead of a stat per file (9400 images).
        listed = {d: set(os.listdir(d)) for d in (img_dir, label_dir,
                                                   depth_dir, dens_dir) if d}

        data_list = []
        for name in self._list_images(img_dir, self.img_suffix, False):
            stem = osp.splitext(name)[0]
            info = self._base_info(osp.join(img_dir, name))
            if name not in listed[img_dir]:
                self._require_pair(info['img_path'], '', 'image')
            info['seg_map_path'] = self._checked(
                info['img_path'], label_dir, name, listed, 'label')
            if depth_dir:
                info['depth_map_path'] = self._checked(
                    info['img_path'], depth_dir, name, listed, 'depth map')
            if dens_dir:
                if self.density_map_layout == 'npy':
                    info['density_map_path'] = self._step1(
                        self._checked, info['img_path'], dens_dir,
                        stem + '.npy', listed, 'density map')
                else:
                    # Reference TIFF layout: prefix, one file per class.
                    self._step1(self._checked, info['img_path'], dens_dir,
                                f'{stem}-0.tiff', listed, 'density map')
                    info['density_map_path'] = osp.join(dens_dir, stem)
            data_list.append(info)
        return data_list

    def _step1(self, check, *args):
        """Run a density-map check; a missing map names the step that
        writes it."""
        try:
            return check(*args)
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f'{err}\nThe source density maps are written by STEP 1: run '
                'tools/gen_density_maps.py CONFIG (expected folder '
                f'{osp.join(self.data_root, self.density_map_dir)}/ with '
                + ('<stem>.npy' if self.density_map_layout == 'npy' else
                   '<stem>-<c>.tiff') + ' per image)') from None

    def _checked(self, img_path, folder, fname, listed, what) -> str:
        path = osp.join(folder, fname)
        if fname not in listed[folder]:
            self._require_pair(img_path, path, what)
        return path
