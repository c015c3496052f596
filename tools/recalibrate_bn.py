"""Re-estimate a segmentor's BatchNorm statistics on target images (AdaBN).

A control for the demo: DDA forwards target images through the segmentor in
train mode, so its BN running statistics move towards the target even before
any adaptation loss acts. This tool gives the source-only model the same
advantage, with no training::

    python tools/recalibrate_bn.py MODEL_CONFIG CHECKPOINT TARGET_CONFIG \
        --out recalibrated.pth [--cfg-options ...]

``TARGET_CONFIG``'s ``train_dataloader.dataset.target`` (a stage-1 config)
gives the unlabelled target images, read once each in order; every BN layer's
running mean and variance become the plain average over them (momentum
``None``); the weights do not change. ``--cfg-options`` apply to
``TARGET_CONFIG``.
"""
import argparse

import mmseg_dda  # noqa: F401  (registers the project's modules)
import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

from mmseg_dda.apis.bn_recalibration import recalibrate_bn  # noqa: F401
from mmseg_dda.checkpoint import load_model_checkpoint, save_checkpoint_atomic
from mmseg_dda.utils.output_policy import (OUTPUT_ERRORS,
                                           checkpoint_marked,
                                           claim_output_file)
from mmseg_dda.utils.runtime import read_config
from mmseg_dda.utils.threads import add_threads_arg, apply_threads

#: The mark in ``meta`` of the checkpoints this tool writes: only such a
#: file is replaced by ``--out``.
MARK = 'bn_recalibrated_on'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='segmentor config')
    p.add_argument('checkpoint', help='segmentor checkpoint')
    p.add_argument('target_config',
                   help='stage-1 config: train_dataloader.dataset.target')
    p.add_argument('--out', required=True, help='checkpoint to write')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='overrides of TARGET_CONFIG')
    add_threads_arg(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    apply_threads(args.threads)
    cfg = read_config(args.config)
    tcfg = read_config(args.target_config, args.cfg_options)
    target = tcfg.train_dataloader.dataset.target
    try:
        claim_output_file(
            args.out, checkpoint_marked(MARK),
            trees=[target.get('data_root')],
            files=[args.config, args.checkpoint, args.target_config],
            tool='tools/recalibrate_bn.py')
    except OUTPUT_ERRORS as e:
        raise SystemExit(f'error: {e}') from e
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    # Checked: a checkpoint that leaves tensors unset is refused, so the
    # file written below never carries initialisation weights.
    load_model_checkpoint(model, args.checkpoint, map_location='cpu')
    dataset = DATASETS.build(target)
    if len(dataset) == 0:
        raise ValueError(f'{args.target_config}: the target dataset has no '
                         'images to estimate BN statistics from')

    def batches():
        for i in range(len(dataset)):
            item = dataset[i]
            data = model.data_preprocessor(
                dict(inputs=[item['inputs']],
                     data_samples=[item['data_samples']]), False)
            yield data['inputs']

    n = recalibrate_bn(model, batches())
    save_checkpoint_atomic(model.state_dict(), args.out,
                           meta={MARK: len(dataset)})
    print(f'{n} BN layers re-estimated on {len(dataset)} target images; '
          f'wrote {args.out}')


if __name__ == '__main__':
    main()
