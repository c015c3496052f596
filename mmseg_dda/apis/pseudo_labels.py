"""STEP 3: pseudo-labels on the target train split (docs/method.md §8.1).

Library side of ``tools/gen_pseudo_labels.py``::

    from mmseg_dda.apis import generate_pseudo_labels
    stats = generate_pseudo_labels('configs/dda/syn2city_16cls.py',
                                   'work_dirs/stage1/iter_89000.pth')

Config key (optional; arguments win)::

    pseudo_label_cfg = dict(
        dataset=dict(type='CityscapesUDADataset', ...),  # target train set
        threshold=0.9,            # one value or one per class
        min_count=[3165, ...],    # per-class component sizes (§8.2)
        out_dir='work_dirs/x/pseudo_labels',
        format='png')             # or 'tiff' (reference naming)

Without ``dataset`` the target half (key ``target``) of
``cfg.train_dataloader.dataset`` is used; without ``out_dir``,
``<work_dir>/pseudo_labels``. ``cfg.model`` may be a ``DDA`` (its
``segmentor`` is used) or a ``DepthDensitySegmentor``; the checkpoint may
come from either (:func:`~mmseg_dda.apis.segmentor.build_segmentor`).
Existing complete outputs are skipped, so an interrupted run resumes where
it stopped.

The folder's ``manifest.json`` records what decides the labels
(:func:`manifest_inputs`): a SHA-256 of the loaded segmentor weights,
threshold, ``min_count`` (the component filter), class count, input size,
pipeline and preprocessing, target dataset and split, format. A rerun with
other values raises :class:`~mmseg_dda.utils.provenance.StaleOutputError`
naming the differing fields; ``overwrite=True`` deletes the old labels and
starts afresh. A file counts as done only when it decodes to a
single-channel uint8 map of the input size with ids below C or 255.
"""
import os.path as osp
import time
from typing import List, Optional, Sequence, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS
from torch.utils.data import DataLoader, Subset

from ..pseudo_labels import (DEFAULT_THRESHOLD, PseudoLabelStats,
                             check_threshold, is_complete,
                             is_pseudo_label_output, make_pseudo_label,
                             pseudo_label_path, save_pseudo_label)
from ..pseudo_labels.manifest import MANIFEST_KIND
from ..utils.config_check import pseudo_label_cfg
from ..utils.output_policy import claim_output_folder
from ..utils.provenance import jsonable, sha256_state_dict
from ..utils.runtime import read_config
from .segmentor import build_segmentor


def target_dataset_cfg(cfg: Config) -> ConfigDict:
    """The dataset to label: ``pseudo_label_cfg.dataset`` or the target
    half of the training dataset."""
    pl_cfg = pseudo_label_cfg(cfg)  # unknown keys refused
    if pl_cfg.get('dataset') is not None:
        return ConfigDict(pl_cfg['dataset'])
    train = cfg.get('train_dataloader', {}).get('dataset')
    if train is not None and train.get('target') is not None:
        return ConfigDict(train['target'])
    raise KeyError(
        f'{cfg.filename}: cannot find the target train dataset. Set '
        'pseudo_label_cfg.dataset, or use a config whose '
        'train_dataloader.dataset has a `target` entry (SourceTargetDataset).')


def resolve_settings(cfg: Config,
                     num_classes: int,
                     threshold=None,
                     min_count: Optional[Sequence[int]] = None,
                     out: Optional[str] = None,
                     fmt: Optional[str] = None) -> dict:
    """Merge the arguments over ``cfg.pseudo_label_cfg`` defaults.

    Args:
        cfg (Config): The config (``pseudo_label_cfg``, ``work_dir``).
        num_classes (int): Classes of the target dataset.
        threshold (float | list[float], optional): Confidence threshold(s);
            checked by the caller (the tool's argument parser).
        min_count (list[int], optional): Per-class minimum component size.
        out (str, optional): Output folder.
        fmt (str, optional): ``'png'`` or ``'tiff'``.

    Returns:
        dict: ``threshold, min_count, out_dir, fmt``.
    """
    pl_cfg = pseudo_label_cfg(cfg)  # unknown keys refused
    given_threshold = threshold is not None
    if not given_threshold:
        threshold = pl_cfg.get('threshold', DEFAULT_THRESHOLD)
    if isinstance(threshold, (list, tuple)) and len(threshold) == 1:
        threshold = threshold[0]
    if min_count is None:
        min_count = pl_cfg.get('min_count')
    for name, value in (('threshold', threshold), ('min_count', min_count)):
        if isinstance(value, (list, tuple)) and len(value) != num_classes:
            raise ValueError(f'{name} has {len(value)} values but the '
                             f'dataset has {num_classes} classes')
    if not given_threshold:
        check_threshold(threshold, 'pseudo_label_cfg.threshold')
    if min_count is not None and min(min_count) < 0:
        raise ValueError(f'min_count must be >= 0, got {min(min_count)}')
    out_dir = out or pl_cfg.get('out_dir') or osp.join(
        cfg.get('work_dir') or osp.join(
            'work_dirs', osp.splitext(osp.basename(cfg.filename))[0]),
        'pseudo_labels')
    fmt = fmt or pl_cfg.get('format', 'png')
    return dict(threshold=threshold, min_count=min_count, out_dir=out_dir,
                fmt=fmt)


def fixed_input_hw(pipeline) -> Optional[tuple]:
    """``(H, W)`` of the pipeline's last ``ResizeWithPad`` (its output is
    always the full ``scale``, padded), else None (size not known)."""
    hw = None
    for t in pipeline:
        if isinstance(t, dict) and t.get('type') == 'ResizeWithPad':
            w, h = t['scale']
            hw = (int(h), int(w))
    return hw


def manifest_inputs(cfg: Config, ds_cfg, settings: dict, segmentor,
                    num_classes: int, input_hw) -> dict:
    """What decides the labels: weights, settings, input, dataset, split."""
    model_cfg = cfg.model
    preprocessor = model_cfg.get('data_preprocessor')
    return dict(
        weights_sha256=sha256_state_dict(segmentor.state_dict()),
        threshold=settings['threshold'],
        min_count=settings['min_count'],
        spatial_filter=settings['min_count'] is not None,
        num_classes=num_classes,
        input_hw=input_hw,
        pipeline=jsonable(ds_cfg.get('pipeline')),
        data_preprocessor=jsonable(preprocessor),
        dataset_type=ds_cfg.get('type'),
        split=jsonable(ds_cfg.get('ann_file', '')),
        format=settings['fmt'])


@torch.no_grad()
def label_images(segmentor, preprocessor, dataset, todo: List[int],
                 settings: dict, num_workers: int,
                 log_interval: int, logger: MMLogger) -> PseudoLabelStats:
    """Label the images ``todo`` of ``dataset`` and write the files."""
    stats = PseudoLabelStats(dataset.metainfo['classes'])
    loader = DataLoader(
        Subset(dataset, todo), batch_size=1, shuffle=False,
        num_workers=num_workers, collate_fn=pseudo_collate)
    total = len(todo)
    for done, data in enumerate(loader, 1):
        # The pipeline output size is the train input size (incl. padding
        # of ResizeWithPad): the reference labels every input pixel.
        input_hw = [tuple(img.shape[-2:]) for img in data['inputs']]
        data = preprocessor(data, False)
        logits = segmentor.forward_heads(data['inputs'])['seg_logits']
        batch_hw = tuple(data['inputs'].shape[-2:])
        for i, sample in enumerate(data['data_samples']):
            label, conf = make_pseudo_label(
                logits[i], batch_hw, settings['threshold'],
                settings['min_count'], valid_hw=input_hw[i])
            save_pseudo_label(
                pseudo_label_path(settings['out_dir'], sample.img_path,
                                  settings['fmt']), label)
            stats.update(label, conf)
        if done % log_interval == 0 or done == total:
            rate = stats.images_per_second()
            eta = (total - done) / rate if rate > 0 else float('nan')
            logger.info(f'[{done}/{total}] {rate:.2f} images/s, '
                        f'ETA {eta / 60:.1f} min')
    return stats


def generate_pseudo_labels(config: Union[str, Config],
                           checkpoint: str,
                           out: Optional[str] = None,
                           fmt: Optional[str] = None,
                           threshold=None,
                           min_count: Optional[Sequence[int]] = None,
                           split: Optional[str] = None,
                           device: Optional[str] = None,
                           num_workers: int = 2,
                           log_interval: int = 50,
                           overwrite: bool = False,
                           cfg_options: Optional[dict] = None,
                           logger: Optional[MMLogger] = None
                           ) -> PseudoLabelStats:
    """Label the target train split with a trained model (STEP 3).

    Args:
        config (str | Config): Stage-1 (``DDA``) or segmentor config, a
            path or a loaded config.
        checkpoint (str): Checkpoint of a DDA model or of a segmentor.
        out (str, optional): Output folder (default:
            ``pseudo_label_cfg.out_dir``, else ``<work_dir>/pseudo_labels``).
        fmt (str, optional): ``'png'`` (default) or ``'tiff'``.
        threshold (float | list[float], optional): Confidence threshold,
            one or one per class (default ``pseudo_label_cfg.threshold``,
            else 0.9).
        min_count (list[int], optional): Per-class minimum component size
            (§8.2); None and no ``pseudo_label_cfg.min_count``: no filter.
        split (str, optional): Replaces the dataset's ``ann_file``.
        device (str, optional): Default: ``'cuda'`` when available.
        num_workers (int): Data-loader workers.
        log_interval (int): Progress line every this many images.
        overwrite (bool): Delete the folder's old labels and start afresh.
        cfg_options (dict, optional): Overrides when ``config`` is a path.
        logger (MMLogger, optional): Default: a new INFO logger.

    Returns:
        PseudoLabelStats: Statistics of the images labelled in this run.

    Raises:
        StaleOutputError: If the output folder was made from other inputs
            and ``overwrite`` is False.
        IncompleteCheckpointError: If the checkpoint does not fill the
            segmentor.
    """
    cfg = config if isinstance(config, Config) else read_config(
        config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    if logger is None:
        logger = MMLogger.get_instance(
            f'gen_pseudo_labels_{time.time_ns()}', log_level='INFO')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')

    ds_cfg = target_dataset_cfg(cfg)
    if split is not None:
        ds_cfg['ann_file'] = split
    dataset = DATASETS.build(ds_cfg)
    num_classes = len(dataset.metainfo['classes'])
    settings = resolve_settings(cfg, num_classes, threshold, min_count, out,
                                fmt)
    if settings['min_count'] is None:
        logger.warning('no min_count given: the component filter (§8.2) is '
                       'switched off')
    segmentor, preprocessor = build_segmentor(cfg, checkpoint, device,
                                              logger)
    input_hw = fixed_input_hw(ds_cfg.get('pipeline') or [])
    inputs = manifest_inputs(cfg, ds_cfg, settings, segmentor, num_classes,
                             input_hw)
    images = [dataset.get_data_info(i)['img_path']
              for i in range(len(dataset))]
    paths = [pseudo_label_path(settings['out_dir'], p, settings['fmt'])
             for p in images]
    claim_output_folder(
        settings['out_dir'], MANIFEST_KIND,
        [osp.basename(p) for p in paths], inputs, overwrite=overwrite,
        legacy=is_pseudo_label_output,
        trees=sorted({osp.dirname(p) for p in images}),
        files=[checkpoint],
        info=dict(checkpoint=osp.abspath(checkpoint),
                  config=osp.abspath(cfg.filename) if cfg.filename else None,
                  data_root=getattr(dataset, 'data_root', None),
                  images=len(dataset), device=device),
        log=logger.info)
    todo, invalid = [], []
    for i, p in enumerate(paths):
        if not is_complete(p, input_hw, num_classes):
            todo.append(i)
            if osp.exists(p):
                invalid.append(osp.basename(p))
    if invalid:
        logger.warning(f'{len(invalid)} existing pseudo-labels are '
                       'incomplete or invalid (not a single-channel uint8 '
                       f'map of the input size with ids < {num_classes} or '
                       f'255) and are relabelled, e.g. {invalid[:5]}')
    logger.info(f'{len(dataset)} target images, {len(paths) - len(todo)} '
                f'already done, {len(todo)} to label ({len(invalid)} of them '
                f'invalid) -> {settings["out_dir"]} ({settings["fmt"]}); '
                f'threshold={settings["threshold"]}, '
                f'min_count={settings["min_count"]}, device={device}')
    stats = label_images(segmentor, preprocessor, dataset, todo, settings,
                         num_workers, max(log_interval, 1), logger)
    logger.info('pseudo-label summary (images labelled in this run):\n' +
                stats.table())
    return stats
