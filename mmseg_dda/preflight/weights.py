"""Weights: the ImageNet initialisation, ``load_from``, the STEP-3 labels.

* every local ``Pretrained`` ``init_cfg`` file exists
  (:func:`~mmseg_dda.utils.pretrained_check.check_pretrained_files`), loads
  with ``weights_only=True`` and holds every tensor of the module it
  initialises, at the module's shapes (the module is built on the ``meta``
  device: no weights are allocated);
* ``load_from`` exists, loads and fits the model
  (:func:`~mmseg_dda.checkpoint.fitting.fit_state_dict`, as the Runner's
  loading);
* for self-training: the pseudo-label folder's manifest names the weights
  of ``load_from`` (the SHA-256 of the segmentor weights that STEP 3
  recorded, :func:`~mmseg_dda.utils.provenance.sha256_state_dict`).
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Tuple

from ..apis.model_grid import build_on_meta, plain_dict
from ..checkpoint.fitting import fit_state_dict
from ..checkpoint.loading import checkpoint_state_dict, read_checkpoint
from ..utils.pretrained_check import (REMOTE_PREFIXES, check_pretrained_files,
                                      pretrained_entries)
from ..utils.provenance import read_manifest, sha256_state_dict
from .report import FAIL, OK, WARN, Check, fail_from

SEGMENTOR = 'segmentor.'


def _node(cfg, dotted: str):
    node = cfg
    for part in dotted.split('.'):
        if '[' in part:
            name, idx = part[:-1].split('[')
            node = node[name][int(idx)]
        else:
            node = node[part]
    return node


def strip_init(node: dict) -> dict:
    """A plain copy of a model config without ``init_cfg``/``pretrained``
    (its own and its direct children's): built without loading weights."""
    node = copy.deepcopy(plain_dict(node))
    for sub in [node] + [v for v in node.values() if isinstance(v, dict)]:
        sub.pop('init_cfg', None)
        sub.pop('pretrained', None)
    return node


def _fill(module, state: Dict) -> Tuple[List[str], List[str]]:
    """Tensors of ``module`` absent from ``state``, and shape mismatches."""
    own = module.state_dict()
    missing = [k for k in own
               if k not in state and not k.endswith('num_batches_tracked')]
    bad = [f'{k}: checkpoint {tuple(state[k].shape)} vs model '
           f'{tuple(v.shape)}' for k, v in own.items()
           if k in state and hasattr(state[k], 'shape')
           and tuple(state[k].shape) != tuple(v.shape)]
    return missing, bad


def check_pretrained(cfg) -> List[Check]:
    """Rows for each ``Pretrained`` initialisation file of the model."""
    entries = list(pretrained_entries(cfg.get('model'), 'model'))
    if not entries:
        return []
    try:
        check_pretrained_files(cfg)
    except FileNotFoundError as err:
        text = str(err)
        detail, _, fix = text.partition(' Create it once:\n')
        fix = '\n'.join(ln.strip() for ln in fix.splitlines())
        return [Check('weights', 'ImageNet checkpoint' if fix else
                      'pretrained checkpoint', FAIL, detail,
                      fix or 'download or convert it, or override the key')]
    rows = []
    for key, path in entries:
        name = ('ImageNet checkpoint' if path == cfg.get('imagenet_checkpoint')
                else f'pretrained {key}')
        if path.startswith(REMOTE_PREFIXES):
            rows.append(Check('weights', name, WARN,
                              f'{path} ({key}) is remote: downloaded and '
                              'checked when training starts'))
            continue
        owner_key = key.rsplit('.init_cfg', 1)[0]
        init = _node(cfg, key.rsplit('.', 1)[0])
        try:
            state = checkpoint_state_dict(read_checkpoint(path, 'cpu'), path)
            prefix = init.get('prefix')
            if prefix:
                prefix = prefix if prefix.endswith('.') else prefix + '.'
                state = {k[len(prefix):]: v for k, v in state.items()
                         if k.startswith(prefix)}
            module = build_on_meta(strip_init(_node(cfg, owner_key)))
            missing, bad = _fill(module, state)
        except (OSError, RuntimeError, ValueError, KeyError) as err:
            rows.append(fail_from('weights', name, err))
            continue
        total = len([k for k in module.state_dict()
                     if not k.endswith('num_batches_tracked')])
        if missing or bad:
            probs = []
            if missing:
                probs.append(f'{len(missing)} of {total} tensors of '
                             f'{owner_key} are not in it, e.g. '
                             + ', '.join(missing[:3]))
            if bad:
                probs.append(f'{len(bad)} tensors have other shapes, e.g. '
                             + bad[0])
            rows.append(Check(
                'weights', name, FAIL,
                f'{path} does not fill {owner_key}: ' + '; '.join(probs)
                + ' (they would keep their random initialisation)',
                'reconvert it: tools/convert_reference_checkpoint.py '
                f'DeepLab_resnet_pretrained_imagenet.pth {path} --kind '
                'imagenet --plain'))
        else:
            rows.append(Check('weights', name, OK,
                              f'{path}: loads with weights_only=True, fills '
                              f'all {total} tensors of {owner_key}'))
    return rows


def check_load_from(cfg, load_from: Optional[str]) -> Tuple[List[Check],
                                                             Optional[Dict]]:
    """Rows for ``load_from``, and its state dict (None when unusable)."""
    if not load_from:
        return [], None
    name = 'load_from'
    if '://' in str(load_from):
        return [Check('weights', name, WARN, f'{load_from} is remote: '
                      'checked when training starts')], None
    if not osp.isfile(load_from):
        return [Check(
            'weights', name, FAIL,
            f'load_from={load_from}: no such checkpoint (the weights this '
            'run starts from; for self-training the stage-1 checkpoint)',
            'run the stage that writes it (STEP 2: tools/train.py '
            'STAGE1_CONFIG), or --cfg-options load_from=CKPT')], None
    try:
        state = checkpoint_state_dict(read_checkpoint(load_from, 'cpu'),
                                      load_from)
        model = build_on_meta(strip_init(cfg.model))
        fitted = fit_state_dict(model, state, load_from,
                                allow_missing_discriminator=True)
        own = model.state_dict()
        bad = [f'{k}: checkpoint {tuple(v.shape)} vs model '
               f'{tuple(own[k].shape)}' for k, v in fitted.items()
               if k in own and hasattr(v, 'shape')
               and tuple(v.shape) != tuple(own[k].shape)]
        if bad:
            raise ValueError(f'{load_from}: {len(bad)} tensors have other '
                             f'shapes than the model, e.g. {bad[0]}')
    except (OSError, RuntimeError, ValueError, KeyError) as err:
        return [fail_from('weights', name, err,
                          'point load_from at a checkpoint of this model '
                          '(--cfg-options load_from=CKPT)')], None
    return [Check('weights', name, OK,
                  f'{load_from}: loads with weights_only=True and fits the '
                  f'{type(model).__name__} model')], state


def segmentor_sha256(state: Dict) -> str:
    """SHA-256 of the segmentor weights in a checkpoint's state dict (the
    identity STEP 3 records as ``weights_sha256``)."""
    if any(k.startswith(SEGMENTOR) for k in state):
        state = {k[len(SEGMENTOR):]: v for k, v in state.items()
                 if k.startswith(SEGMENTOR)}
    return sha256_state_dict(state)


def pseudo_label_dir(cfg) -> Optional[str]:
    """The pseudo-label folder of a self-training config, or None."""
    ds = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    return ds.get('pseudo_label_dir')


def check_pseudo_label_source(cfg, load_from: Optional[str],
                              state: Optional[Dict]) -> List[Check]:
    """Whether the pseudo-labels were made by the weights of ``load_from``."""
    folder = pseudo_label_dir(cfg)
    if not folder or not osp.isdir(folder):
        return []  # not self-training, or the data row reports the folder
    name = 'pseudo-label source'
    try:
        manifest = read_manifest(folder)
    except ValueError as err:
        return [fail_from('weights', name, err)]
    if manifest is None:
        return [Check('weights', name, WARN,
                      f'{folder} has no manifest.json: which checkpoint made '
                      'the pseudo-labels cannot be checked',
                      'regenerate them with tools/gen_pseudo_labels.py '
                      '--overwrite')]
    recorded = manifest['inputs'].get('weights_sha256')
    made_by = (manifest.get('info') or {}).get('checkpoint')
    if state is None:
        return [Check('weights', name, WARN,
                      f'made by {made_by}; not compared (load_from unusable)'
                      )] if load_from else []
    sha = segmentor_sha256(state)
    if recorded == sha:
        return [Check('weights', name, OK,
                      f'{folder} was made by the weights of load_from='
                      f'{load_from} (SHA-256 {sha[:12]})')]
    return [Check(
        'weights', name, FAIL,
        f'the pseudo-labels in {folder} were made by other weights: '
        f'{made_by} (SHA-256 {str(recorded)[:12]}), but load_from='
        f'{load_from} holds {sha[:12]}',
        'regenerate them from this checkpoint: tools/gen_pseudo_labels.py '
        f'STAGE1_CONFIG {load_from} --out {folder} --overwrite; or point '
        'load_from at the checkpoint that made them')]
