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
"""
import argparse
import os
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
                                     is_complete, make_pseudo_label,
                                     pseudo_label_path, save_pseudo_label)
from mmseg_dda.utils.config_check import pseudo_label_cfg

_SEGMENTOR_PREFIX = 'segmentor.'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate pseudo-labels on the target train split')
    parser.add_argument('config', help='config file (stage-1 or segmentor)')
    parser.add_argument('checkpoint', help='checkpoint of DDA or segmentor')
    parser.add_argument('--out', help='output folder')
    parser.add_argument('--format', choices=['png', 'tiff'],
                        help='file format (default png)')
    parser.add_argument('--threshold', type=float, nargs='+',
                        help='confidence threshold, one or one per class '
                        f'(default {DEFAULT_THRESHOLD})')
    parser.add_argument('--min-count', type=int, nargs='+',
                        help='per-class minimum component size (§8.2)')
    parser.add_argument('--split', help='override the dataset ann_file '
                        '(e.g. train, selftrain)')
    parser.add_argument('--device', default=None,
                        help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--log-interval', type=int, default=50)
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
    out_dir = args.out or pl_cfg.get('out_dir') or osp.join(
        cfg.get('work_dir') or osp.join(
            'work_dirs', osp.splitext(osp.basename(args.config))[0]),
        'pseudo_labels')
    fmt = args.format or pl_cfg.get('format', 'png')
    return dict(threshold=threshold, min_count=min_count, out_dir=out_dir,
                fmt=fmt)


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
    os.makedirs(settings['out_dir'], exist_ok=True)
    if settings['min_count'] is None:
        logger.warning('no min_count given: the component filter (§8.2) is '
                       'switched off')

    paths = [pseudo_label_path(settings['out_dir'],
                               dataset.get_data_info(i)['img_path'],
                               settings['fmt']) for i in range(len(dataset))]
    todo = [i for i, p in enumerate(paths) if not is_complete(p)]
    logger.info(f'{len(dataset)} target images, {len(paths) - len(todo)} '
                f'already done, {len(todo)} to label -> {settings["out_dir"]} '
                f'({settings["fmt"]}); threshold={settings["threshold"]}, '
                f'min_count={settings["min_count"]}, device={device}')
    segmentor, preprocessor = build_segmentor(cfg, args.checkpoint, device,
                                              logger)
    stats = generate(segmentor, preprocessor, dataset, todo, settings,
                     args.num_workers, max(args.log_interval, 1),
                     logger)
    logger.info('pseudo-label summary (images labelled in this run):\n' +
                stats.table())
    return stats


if __name__ == '__main__':
    main()
