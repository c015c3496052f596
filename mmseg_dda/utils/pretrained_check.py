"""Fail before training when a ``Pretrained`` initialisation file is missing.

MMEngine loads ``init_cfg=dict(type='Pretrained', checkpoint=...)`` at the
start of ``Runner.train()`` (before ``load_from`` or ``--resume`` replace the
weights), and a missing file then surfaces as ``... can not be found`` deep
in a stack trace. :func:`check_pretrained_files` names the file, the config
key and, for the ImageNet DeepLab-v2 initialisation, the commands that
create it.
"""
import os.path as osp
from typing import Iterator, Tuple

#: Where the reference ImageNet weights come from (ADVENT's release, used by
#: DADA, CTRL and DDA).
IMAGENET_URL = ('https://github.com/valeoai/ADVENT/releases/download/v0.1/'
                'DeepLab_resnet_pretrained_imagenet.pth')
IMAGENET_RECIPE = (
    'Create it once:\n'
    f'  curl -LO {IMAGENET_URL}\n'
    '  .venv/bin/python tools/convert_reference_checkpoint.py '
    'DeepLab_resnet_pretrained_imagenet.pth {dst} --kind imagenet --plain')
REMOTE_PREFIXES = ('http://', 'https://', 's3://', 'torchvision://',
                   'open-mmlab://', 'mmcls://', 'openmmlab://')


def pretrained_entries(node, key: str) -> Iterator[Tuple[str, str]]:
    """``(config key, checkpoint)`` of every ``Pretrained`` init_cfg."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and isinstance(
                node.get('checkpoint'), str):
            yield f'{key}.checkpoint', node['checkpoint']
        for name, value in node.items():
            yield from pretrained_entries(value, f'{key}.{name}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from pretrained_entries(value, f'{key}[{i}]')


def check_pretrained_files(cfg) -> None:
    """Raise when a local ``Pretrained`` checkpoint of ``cfg.model`` is
    missing.

    Raises:
        FileNotFoundError: Naming the file and the config key; for the
            ImageNet initialisation (``imagenet_checkpoint`` of the model
            config) with the download and conversion commands.
    """
    imagenet = cfg.get('imagenet_checkpoint')
    for key, path in pretrained_entries(cfg.get('model'), 'model'):
        if path.startswith(REMOTE_PREFIXES) or osp.isfile(path):
            continue
        if path == imagenet or osp.basename(path) == osp.basename(
                imagenet or ''):
            raise FileNotFoundError(
                f'ImageNet initialisation {path} not found ({key}). '
                + IMAGENET_RECIPE.format(dst=path) +
                '\nOr train without it: --cfg-options '
                f'{key.rsplit(".", 1)[0]}=None (random initialisation).')
        raise FileNotFoundError(
            f'pretrained checkpoint {path} not found ({key}); download or '
            f'convert it there, or override {key} with --cfg-options')
