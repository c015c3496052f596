"""Generate self-training pseudo-labels on the target train split (§8.1).

Usage::

    python tools/gen_pseudo_labels.py CONFIG CHECKPOINT [--out DIR]
        [--format png|tiff] [--threshold 0.9 | T0 T1 ...]
        [--min-count N0 N1 ...] [--split NAME] [--device cuda|cpu]

Config key (optional; command-line flags win)::

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
come from either. Existing complete outputs are skipped, so an interrupted
run resumes where it stopped.

The folder's ``manifest.json`` records what decides the labels: a SHA-256 of
the loaded segmentor weights, threshold, ``min_count`` (the component filter),
class count, input size, pipeline and preprocessing, target dataset and split,
format. A rerun with other values stops with the differing fields;
``--overwrite`` deletes the old labels and starts afresh. A file counts as
done only when it decodes to a single-channel uint8 map of the input size
with ids below C or 255.
"""
import argparse
import os.path as osp
import time
from typing import List, Optional

import mmseg_dda  # noqa: F401,I001  (compat shims and registration first)
import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from mmseg.registry import DATASETS, MODELS
from torch.utils.data import DataLoader, Subset

from mmseg_dda.pseudo_labels import (DEFAULT_THRESHOLD, PseudoLabelStats,
                                     check_threshold, is_complete,
                                     is_pseudo_label_output,
                                     make_pseudo_label, pseudo_label_path,
                                     save_pseudo_label)
from mmseg_dda.pseudo_labels.manifest import MANIFEST_KIND
from mmseg_dda.utils.provenance import (StaleOutputError, jsonable,
                                        prepare_output_dir,
                                        sha256_state_dict)
from mmseg_dda.utils.config_check import pseudo_label_cfg

_SEGMENTOR_PREFIX = 'segmentor.'


def _confidence(text: str) -> float:
    value = float(text)
    try:
        check_threshold(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be >= 0, got {value}')
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate pseudo-labels on the target train split')
    parser.add_argument('config', help='config file (stage-1 or segmentor)')
    parser.add_argument('checkpoint', help='checkpoint of DDA or segmentor')
    parser.add_argument('--out', help='output folder')
    parser.add_argument('--format', choices=['png', 'tiff'],
                        help='file format (default png)')
    parser.add_argument('--threshold', type=_confidence, nargs='+',
                        help='confidence threshold, one or one per class '
                        f'(default {DEFAULT_THRESHOLD})')
    parser.add_argument('--min-count', type=_non_negative_int, nargs='+',
                        help='per-class minimum component size (§8.2)')
    parser.add_argument('--split', help='override the dataset ann_file '
                        '(e.g. train, selftrain)')
    parser.add_argument('--device', default=None,
                        help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--num-workers', type=_non_negative_int, default=2)
    parser.add_argument('--log-interval', type=_non_negative_int, default=50)
    parser.add_argument('--overwrite', action='store_true',
                        help='delete the labels already in the output folder '
                        '(and its manifest) and start afresh; needed when '
                        'they were made from other inputs')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


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


def build_segmentor(cfg: Config, checkpoint: str, device: str,
                    logger: MMLogger):
    """Build the model, load the checkpoint into its segmentor.

    Returns:
        tuple: ``(segmentor, data_preprocessor)`` in eval mode on ``device``.
    """
    model = MODELS.build(cfg.model)
    segmentor = getattr(model, 'segmentor', model)
    if not hasattr(segmentor, 'forward_heads'):
        raise TypeError(f'{cfg.filename}: cfg.model builds '
                        f'{type(segmentor).__name__}, which has no '
                        'forward_heads (expected DepthDensitySegmentor)')
    ckpt = _load_checkpoint(checkpoint, map_location='cpu', logger=logger)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise ValueError(f'{checkpoint}: no state dict found')
    if any(k.startswith(_SEGMENTOR_PREFIX) for k in state):
        # A DDA checkpoint: keep only the segmentor's weights.
        state = {k[len(_SEGMENTOR_PREFIX):]: v for k, v in state.items()
                 if k.startswith(_SEGMENTOR_PREFIX)}
    own = segmentor.state_dict()
    result = segmentor.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if k in own]
    if len(missing) == len(own):
        raise ValueError(f'{checkpoint}: none of its keys matches the '
                         f'segmentor of {cfg.filename}')
    if missing:
        logger.warning(f'{checkpoint}: {len(missing)} segmentor weights not '
                       f'in the checkpoint, e.g. {missing[:5]}')
    if result.unexpected_keys:
        logger.warning(f'{checkpoint}: {len(result.unexpected_keys)} '
                       f'unused keys, e.g. {result.unexpected_keys[:5]}')
    preprocessor = model.data_preprocessor
    return (segmentor.to(device).eval(), preprocessor.to(device).eval())


def resolve_settings(args, cfg: Config, num_classes: int) -> dict:
    """Merge command-line flags over ``cfg.pseudo_label_cfg`` defaults."""
    pl_cfg = pseudo_label_cfg(cfg)  # unknown keys refused
    threshold = args.threshold if args.threshold is not None else \
        pl_cfg.get('threshold', DEFAULT_THRESHOLD)
    if isinstance(threshold, (list, tuple)) and len(threshold) == 1:
        threshold = threshold[0]
    min_count = args.min_count if args.min_count is not None else \
        pl_cfg.get('min_count')
    for name, value in (('threshold', threshold), ('min_count', min_count)):
        if isinstance(value, (list, tuple)) and len(value) != num_classes:
            raise ValueError(f'{name} has {len(value)} values but the '
                             f'dataset has {num_classes} classes')
    if args.threshold is None:
        check_threshold(threshold, 'pseudo_label_cfg.threshold')
    if min_count is not None and min(min_count) < 0:
        raise ValueError(f'min_count must be >= 0, got {min(min_count)}')
    out_dir = args.out or pl_cfg.get('out_dir') or osp.join(
        cfg.get('work_dir') or osp.join(
            'work_dirs', osp.splitext(osp.basename(args.config))[0]),
        'pseudo_labels')
    fmt = args.format or pl_cfg.get('format', 'png')
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
def generate(segmentor, preprocessor, dataset, todo: List[int],
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


def main(argv: Optional[List[str]] = None) -> PseudoLabelStats:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    logger = MMLogger.get_instance(
        f'gen_pseudo_labels_{time.time_ns()}', log_level='INFO')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')

    ds_cfg = target_dataset_cfg(cfg)
    if args.split is not None:
        ds_cfg['ann_file'] = args.split
    dataset = DATASETS.build(ds_cfg)
    settings = resolve_settings(args, cfg,
                                len(dataset.metainfo['classes']))
    if settings['min_count'] is None:
        logger.warning('no min_count given: the component filter (§8.2) is '
                       'switched off')
    segmentor, preprocessor = build_segmentor(cfg, args.checkpoint, device,
                                              logger)
    num_classes = len(dataset.metainfo['classes'])
    input_hw = fixed_input_hw(ds_cfg.get('pipeline') or [])
    inputs = manifest_inputs(cfg, ds_cfg, settings, segmentor, num_classes,
                             input_hw)
    try:
        prepare_output_dir(
            settings['out_dir'], MANIFEST_KIND, inputs,
            is_pseudo_label_output, overwrite=args.overwrite,
            info=dict(checkpoint=osp.abspath(args.checkpoint),
                      config=osp.abspath(args.config),
                      data_root=getattr(dataset, 'data_root', None),
                      images=len(dataset), device=device),
            log=logger.info)
    except StaleOutputError as e:
        raise SystemExit(f'error: {e}') from e

    paths = [pseudo_label_path(settings['out_dir'],
                               dataset.get_data_info(i)['img_path'],
                               settings['fmt']) for i in range(len(dataset))]
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
    stats = generate(segmentor, preprocessor, dataset, todo, settings,
                     args.num_workers, max(args.log_interval, 1),
                     logger)
    logger.info('pseudo-label summary (images labelled in this run):\n' +
                stats.table())
    return stats


if __name__ == '__main__':
    main()
