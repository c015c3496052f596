"""Dataset roots, split lists and file pairing, from the config alone.

Every dataset of the config (training source and target, or the
self-training set, and validation) is built with its own class, so the
files are listed and paired exactly as training lists and pairs them
(:meth:`~mmseg_dda.datasets.base.UDABaseDataset._require_pair`). The only
change: a missing partner file is recorded instead of raised, so that one
run reports every missing file, per kind, not only the first.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

from ..datasets.base import SPLITS_DIR, UDABaseDataset
from .report import FAIL, OK, Check, fail_from

#: What to download for each dataset class (shown when its root is missing).
DOWNLOAD = {
    'SynthiaDataset': 'SYNTHIA-RAND-CITYSCAPES (https://synthia-dataset.net)',
    'CityscapesUDADataset': 'Cityscapes leftImg8bit_trainvaltest.zip and '
    'gtFine_trainvaltest.zip (https://www.cityscapes-dataset.com)',
    'MapillaryUDADataset': 'Mapillary Vistas v1.2 '
    '(https://www.mapillary.com/dataset/vistas)',
}
_CLASS_NAMES: Dict[type, type] = {}


def dataset_configs(cfg) -> List[Tuple[str, str, dict]]:
    """``(role, config key, dataset config)`` of every dataset a training
    run reads: train source and target (or the one training set) and
    validation."""
    out = []
    train = (cfg.get('train_dataloader') or {}).get('dataset')
    if isinstance(train, dict):
        if train.get('type') == 'SourceTargetDataset':
            for part in ('source', 'target'):
                out.append((f'train {part}',
                            f'train_dataloader.dataset.{part}', train[part]))
        else:
            out.append(('train', 'train_dataloader.dataset', train))
    val = (cfg.get('val_dataloader') or {}).get('dataset')
    if isinstance(val, dict) and cfg.get('val_cfg') is not None:
        out.append(('val', 'val_dataloader.dataset', val))
    return out


def _recording(cls: type) -> type:
    """``cls`` with :meth:`_require_pair` recording instead of raising
    (``missing``: {kind: {path: None}}, in listing order)."""
    if cls in _CLASS_NAMES:
        return _CLASS_NAMES[cls]

    def __init__(self, *args, **kwargs):
        self.missing = OrderedDict()
        cls.__init__(self, *args, **kwargs)

    def _require_pair(self, img_path, other, what):
        # Called once per partner file of an entry: each missing file is
        # recorded once, under its own kind.
        for kind, path in (('image', img_path), (what, other)):
            if path and not osp.isfile(path):
                self.missing.setdefault(kind, OrderedDict())[path] = None

    sub = type(cls.__name__, (cls, ), dict(
        __init__=__init__, _require_pair=_require_pair,
        __module__=cls.__module__))
    _CLASS_NAMES[cls] = sub
    return sub


def build_listing(ds_cfg: dict):
    """Build a dataset of ``ds_cfg`` with its own listing and pairing, the
    missing files recorded in ``dataset.missing`` ({kind: {path: None}}).

    Raises:
        Whatever the dataset raises for a missing root or folder, an
        unreadable split list or a manifest of other settings.
    """
    ds_cfg = dict(ds_cfg)
    cls = DATASETS.get(ds_cfg.pop('type'))
    if cls is None or not issubclass(cls, UDABaseDataset):
        ds_cfg['type'] = cls
        return DATASETS.build(ds_cfg)
    scope = None if DefaultScope.get_current_instance() else 'mmseg'
    with DefaultScope.overwrite_default_scope(scope):
        return _recording(cls)(**ds_cfg)


def _kinds(ds) -> List[str]:
    """The file kinds each entry of ``ds`` pairs (for the counts)."""
    kinds = ['image']
    if getattr(ds, 'pseudo_label_dir', None):
        kinds.append('pseudo-label')
    elif getattr(ds, 'reads_dataset_labels', True) and \
            type(ds).__name__ != 'SynthiaDataset':
        kinds.append('label')
    if type(ds).__name__ == 'SynthiaDataset':
        kinds.append('label')
        if ds.with_depth:
            kinds.append('depth map')
        if ds.with_density_maps:
            kinds.append('density map')
    return kinds


def _list_name(ds) -> str:
    ann = getattr(ds, 'ann_file', '')
    if not ann:
        return 'folder scan (no split list)'
    if osp.dirname(osp.abspath(ann)) == SPLITS_DIR:
        return f'mmseg_dda/datasets/splits/{osp.basename(ann)}'
    return ann


def _fix_missing(ds, key: str, kind: str, config: str) -> str:
    if kind == 'density map':
        return (f'tools/gen_density_maps.py {config} (resumable: writes the '
                'missing maps only)')
    if kind == 'pseudo-label':
        return ('STEP 3: tools/gen_pseudo_labels.py STAGE1_CONFIG '
                f'STAGE1_CKPT --out {ds.pseudo_label_dir}')
    what = DOWNLOAD.get(type(ds).__name__, 'the dataset')
    return (f'complete {ds.data_root} from {what}, or point {key} at a '
            'split list of the files you have')


def check_dataset(role: str, key: str, ds_cfg: dict,
                  config: str) -> Tuple[List[Check], Optional[object]]:
    """Rows for one dataset, and the dataset (None when it cannot be built).

    Args:
        role: ``'train source'``, ``'train target'``, ``'train'``, ``'val'``.
        key: Config key of the dataset (for the fix).
        ds_cfg: Its config.
        config: Config file (for the fix commands).
    """
    name = f'{ds_cfg.get("type", "dataset")} ({role})'
    root = ds_cfg.get('data_root')
    try:
        ds = build_listing(ds_cfg)
    except FileNotFoundError as err:
        what = DOWNLOAD.get(ds_cfg.get('type'), 'the dataset')
        row = fail_from('data', name, err)
        if root is not None and not osp.isdir(root):
            row.fix = (f'download {what} into {root} (layout below), or '
                       f'--cfg-options {key}.data_root=PATH\n' + row.fix)
        elif 'density map' in str(err):
            row.fix = (f'STEP 1: tools/gen_density_maps.py {config}\n'
                       + row.fix)
        elif 'pseudo_label_dir' in str(err):
            row.fix = ('STEP 3: tools/gen_pseudo_labels.py STAGE1_CONFIG '
                       'STAGE1_CKPT --out '
                       f'{ds_cfg.get("pseudo_label_dir")}')
        return [row], None
    except (ValueError, OSError, KeyError) as err:
        return [fail_from('data', name, err)], None
    missing = getattr(ds, 'missing', {})
    n = len(ds)
    counts = ', '.join(f'{n - len(missing.get(k, ()))} {k}s'
                       for k in _kinds(ds))
    detail = f'{n} entries in {_list_name(ds)}: {counts}'
    if not missing:
        return [Check('data', name, OK, detail)], ds
    lines, fixes = [detail], []
    for kind, paths in missing.items():
        paths = list(paths)
        lines.append(f'{len(paths)} of {n} {kind}s missing, e.g. '
                     + ', '.join(paths[:3]))
        fixes.append(_fix_missing(ds, key, kind, config))
    return [Check('data', name, FAIL, '\n'.join(lines),
                  '\n'.join(dict.fromkeys(fixes)))], ds
