"""Run a model on images: ``tools/infer.py CONFIG CKPT INPUT... --out DIR``.

INPUT: image files, folders (their images, sorted) or glob patterns
(quoted: ``'data/**/*.png'``). Each image is resized as the config's test
pipeline does; every output is at the image's own size. Per image (named
after the image stem)::

    DIR/label/<stem>.png        class indices, palette PNG (Cityscapes colours)
    DIR/overlay/<stem>.jpg      image blended with the coloured label map
    DIR/depth/<stem>.png|.npy   inverse depth: uint16 = round(64 * value),
                                or float32 with --save-format npy
    DIR/depth_vis/<stem>.png    colour-mapped preview (2nd-98th percentile)
    DIR/density/<stem>.png|.npy density: uint16 = round(256 * value)
    DIR/density_vis/<stem>.png
    DIR/labelIds/<city>_<seq>_<frame>_labelIds.png   --out-format cityscapes
    DIR/panel/<stem>.png        --panel: image | overlay | depth | density

Depth and density are written when the model has those heads.
"""
import argparse
import os.path as osp
import sys
import time
from collections import Counter

import mmseg_dda  # noqa: F401  (registers the project's modules)
import mmcv
import torch
from mmengine.config import DictAction
from mmengine.utils import ProgressBar

from mmseg_dda.apis import (infer_images, init_dda_model, list_images,
                            maps_at_original_size)
from mmseg_dda.apis import writers
from mmseg_dda.utils.malloc_tuning import apply_malloc_cfg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Segmentation, inverse depth and density for images')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('inputs', nargs='+', metavar='INPUT',
                        help='image files, folders or glob patterns')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu',
        help='cpu, cuda or cuda:N (default: cuda when available)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images per forward pass (default 1)')
    parser.add_argument(
        '--save-format', choices=['png', 'npy'], default='png',
        help='inverse depth and density as 16-bit PNG (default) or '
        'float32 .npy')
    parser.add_argument(
        '--out-format', choices=['trainid', 'cityscapes'], default='trainid',
        help='cityscapes: also write Cityscapes labelIds PNGs for the '
        'official evaluation scripts')
    parser.add_argument(
        '--panel', action='store_true',
        help='also write image | overlay | inverse depth | density side by '
        'side (DIR/panel/)')
    parser.add_argument('--alpha', type=float, default=0.5,
                        help='label opacity of the overlay (default 0.5)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, e.g. key=value')
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: no CUDA GPU is available to '
                     'this PyTorch; use --device cpu')
    return args


def _check_unique_stems(images) -> None:
    stems = Counter(osp.splitext(osp.basename(p))[0] for p in images)
    dup = [s for s, n in stems.items() if n > 1]
    if dup:
        clash = [p for p in images
                 if osp.splitext(osp.basename(p))[0] == dup[0]]
        raise ValueError(
            f'{len(dup)} image names occur more than once and would '
            f'overwrite each other\'s outputs, e.g. {clash}; run the '
            'folders separately (different --out)')


def write_outputs(image_path: str, maps: dict, palette, num_classes: int,
                  args) -> None:
    """Write the files of one image (see the module docstring)."""
    out = args.out
    stem = osp.splitext(osp.basename(image_path))[0]
    label = maps['label']
    writers.save_label_png(label, palette, osp.join(out, 'label',
                                                    stem + '.png'))
    image = mmcv.imread(image_path, channel_order='rgb', backend='pillow')
    blended = writers.overlay(image, label, palette, args.alpha)
    writers.save_rgb(blended, osp.join(out, 'overlay', stem + '.jpg'))
    tiles, captions = [image, blended], ['image', 'segmentation']
    for kind in ('depth', 'density'):
        values = maps[kind]
        if values is None:
            continue
        writers.save_map(values, kind, osp.join(out, kind, stem),
                         args.save_format)
        preview = writers.colorize_map(values)
        writers.save_rgb(preview, osp.join(out, f'{kind}_vis', stem + '.png'))
        tiles.append(preview)
        captions.append('inverse depth' if kind == 'depth' else 'density')
    if args.panel:
        writers.save_rgb(writers.panel(tiles, captions),
                         osp.join(out, 'panel', stem + '.png'))
    if args.out_format == 'cityscapes':
        writers.save_label_ids_png(
            writers.to_cityscapes_label_ids(label, num_classes),
            osp.join(out, 'labelIds', writers.cityscapes_name(image_path)))


def main(argv=None) -> int:
    args = parse_args(argv)
    images = list_images(args.inputs)
    _check_unique_stems(images)
    model = init_dda_model(args.config, args.checkpoint, device=args.device,
                           cfg_options=args.cfg_options)
    # As tools/train.py and tools/test.py (ConsoleRunner.setup_env).
    apply_malloc_cfg(model.cfg.get('env_cfg', {}).get('malloc_cfg'))
    num_classes = model.num_classes
    if args.out_format == 'cityscapes':
        writers.cityscapes_label_id_lut(num_classes)  # fail before running
    palette = model.dataset_meta['palette']

    print(f'{len(images)} images -> {args.out} ({args.device}, batch '
          f'{args.batch_size})', flush=True)
    start = time.perf_counter()
    progress = ProgressBar(len(images), file=sys.stdout)
    for image_path, sample in infer_images(model, images, args.batch_size):
        write_outputs(image_path, maps_at_original_size(sample), palette,
                      num_classes, args)
        progress.update()
    seconds = time.perf_counter() - start
    print(f'\ndone: {len(images)} images in {seconds:.1f} s '
          f'({len(images) / max(seconds, 1e-9):.2f} images/s, outputs '
          'included), written to '
          f'{args.out}/{{label,overlay' +
          (',depth,depth_vis,density,density_vis'
           if 'pred_depth_map' in sample else '') +
          (',labelIds' if args.out_format == 'cityscapes' else '') +
          (',panel' if args.panel else '') + '}',
          flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
