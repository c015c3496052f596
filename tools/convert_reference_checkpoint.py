"""Convert reference DDA checkpoints to ``mmseg_dda`` (docs/method.md §11).

Usage::

    # released / stage-1 segmentation network (+ optional discriminator)
    python tools/convert_reference_checkpoint.py Syn_City_16cls.pth \\
        checkpoints/dda_syn2city16.pth --num-classes 16 \\
        [--discriminator model_D_89000.pth] [--keep-unused]
    # discriminator alone
    python tools/convert_reference_checkpoint.py model_D.pth d.pth \\
        --kind discriminator --num-classes 16
    # ADVENT/DADA ImageNet initialisation (Scale.* keys)
    python tools/convert_reference_checkpoint.py \\
        DeepLab_resnet_pretrained_imagenet.pth \\
        checkpoints/deeplabv2_r101_imagenet.pth --kind imagenet [--plain]

Inputs are read with ``torch.load(weights_only=True)``; ``{'model': sd}``
and bare state dicts are accepted. The output is an MMEngine-style
``{'meta': ..., 'state_dict': ...}`` written atomically. It loads into
``DDA`` (``segmentor.*``, ``discriminator.*``) and, for self-training, into
``DepthDensitySegmentor`` via ``load_from``. With ``--kind imagenet --plain``
the keys are plain backbone keys for
``backbone.init_cfg=dict(type='Pretrained', checkpoint=...)``; without
``--plain`` use ``prefix='segmentor.backbone.'`` there. ``load_from``
refuses a backbone-only file (it would leave the heads random).

Missing keys and shape mismatches abort the conversion (nothing is written)
unless ``--force``; unexpected keys are reported and not converted.
"""
import argparse
import os.path as osp
import sys

import mmseg_dda  # noqa: F401  (registers the project's modules)
from mmseg_dda.checkpoint import (convert_discriminator_state_dict,
                                  convert_imagenet_state_dict,
                                  convert_segnet_state_dict,
                                  load_reference_state_dict,
                                  save_checkpoint_atomic)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a reference DDA checkpoint to mmseg_dda')
    parser.add_argument('src', help='reference checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--kind',
        choices=['segmentor', 'discriminator', 'imagenet'],
        default='segmentor',
        help='what SRC holds (default: segmentor)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=None,
        help='expected number of classes (checked against the checkpoint)')
    parser.add_argument(
        '--discriminator',
        metavar='D_SRC',
        default=None,
        help='reference discriminator checkpoint to add (--kind segmentor)')
    parser.add_argument(
        '--keep-unused',
        action='store_true',
        help='keep enc4_4/dec4 as density_head.conv4/dec (needs '
        'DensityHead(with_unused_branch=True))')
    parser.add_argument(
        '--depth', type=int, default=101, help='ResNet depth (default 101)')
    parser.add_argument(
        '--plain',
        action='store_true',
        help='--kind imagenet: write plain backbone keys (for the '
        "backbone's Pretrained init_cfg) instead of segmentor.backbone.*")
    parser.add_argument(
        '--force',
        action='store_true',
        help='write the output even with missing keys or shape mismatches')
    return parser.parse_args(argv)


def convert(args) -> int:
    """Run the conversion described by ``args``; return an exit code."""
    if args.discriminator and args.kind != 'segmentor':
        print('--discriminator is only valid with --kind segmentor',
              file=sys.stderr)
        return 2
    src = load_reference_state_dict(args.src)
    if args.kind == 'segmentor':
        state_dict, report = convert_segnet_state_dict(
            src,
            num_classes=args.num_classes,
            keep_unused=args.keep_unused,
            depth=args.depth)
        if args.discriminator:
            d_sd, d_report = convert_discriminator_state_dict(
                load_reference_state_dict(args.discriminator),
                num_classes=args.num_classes or report.num_classes)
            if report.num_classes and d_report.num_classes and \
                    report.num_classes != d_report.num_classes:
                raise ValueError(
                    f'{args.discriminator}: checkpoint has '
                    f'{d_report.num_classes} classes, expected '
                    f'{report.num_classes}')
            state_dict.update(d_sd)
            report = report.merge(d_report)
    elif args.kind == 'discriminator':
        state_dict, report = convert_discriminator_state_dict(
            src, num_classes=args.num_classes)
    else:
        state_dict, report = convert_imagenet_state_dict(
            src,
            depth=args.depth,
            prefix='' if args.plain else 'segmentor.backbone.')

    print(report.format())
    if (report.missing or report.shape_mismatches) and not args.force:
        print(
            f'{args.src}: not converted (missing keys or shape mismatches); '
            'use --force to write anyway',
            file=sys.stderr)
        return 1
    meta = dict(
        converted_from=osp.basename(args.src),
        kind=report.kind,
        num_classes=report.num_classes,
        keep_unused=bool(args.keep_unused),
        converter='tools/convert_reference_checkpoint.py',
        mmseg_dda_version=mmseg_dda.__version__)
    if args.discriminator:
        meta['discriminator_from'] = osp.basename(args.discriminator)
    save_checkpoint_atomic(state_dict, args.dst, meta)
    print(f'wrote {len(state_dict)} tensors to {args.dst}')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return convert(args)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
