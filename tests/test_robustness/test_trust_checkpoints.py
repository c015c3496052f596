"""Checkpoints are trusted only as far as they deserve (issue 9: 1, 2, 4).

Through the real entry points (``tools/train.py``, ``tools/test.py``: their
``main`` in this process, the process around them is not under test), on
the tiny DDA config of ``tests/_helpers.py`` and a tiny
self-training config derived from ``configs/demo/toy_syn2city_selftrain.py``:

* no code path calls ``torch.load`` with ``weights_only=False``, and
  ``--resume`` refuses a pickle that would run code (given as ``load_from``
  or named by ``last_checkpoint``): the code does not run;
* a checkpoint of either layout (segmentor alone, DDA wrapper) evaluates the
  same with the DDA and the segmentor config; one that leaves model tensors
  unloaded is refused, listing them;
* STEP 4 resumes: a self-training run initialised from a stage-1 (DDA)
  checkpoint, stopped and resumed, ends where an uninterrupted run ends.
"""
import glob
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import read_checkpoint

from _helpers import (REPO, TINY_INPUT, log_lines, parse_metrics,
                      tiny_pipelines_text, tiny_segmentor_text)
# The tools' main() in this process, with their console output and exit code.
from _helpers import run_tool_inprocess as run_tool

THIS = Path(__file__).resolve()


class _RunsCode:
    """Unpickling this object would create the file ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _evil_checkpoint(path: Path, marker: Path) -> Path:
    """A training checkpoint lookalike whose pickle runs ``touch marker``."""
    torch.save({'meta': {'iter': 1, 'epoch': 0}, 'state_dict': {},
                'message_hub': {}, 'payload': _RunsCode(marker)}, path)
    return path


# -- item 1: no unpickling ----------------------------------------------------
def test_no_weights_only_false_anywhere():
    needle = 'weights_only=' + 'False'
    offenders = []
    for folder in ('mmseg_dda', 'tools', 'bench', 'tests', 'configs'):
        for path in glob.glob(str(REPO / folder / '**' / '*.py'),
                              recursive=True):
            if Path(path).resolve() == THIS:
                continue
            text = Path(path).read_text(encoding='utf-8', errors='replace')
            if re.search(r'weights_only\s*=\s*False', text):
                offenders.append(os.path.relpath(path, REPO))
    assert not offenders, f'{needle} found in {offenders}'


@pytest.fixture(scope='module')
def tiny(tiny_dda, tiny_dda_trained):
    """Tiny DDA config (with STEP-1 maps) and a trained DDA checkpoint (the
    session's 3-iteration ``tools/train.py`` run)."""
    return dict(tiny_dda, dda_ckpt=str(tiny_dda_trained['ckpt']))


def test_resume_refuses_pickled_load_from(tiny, tmp_path):
    marker = tmp_path / 'pwned'
    evil = _evil_checkpoint(tmp_path / 'evil.pth', marker)
    proc = run_tool('train.py', [
        tiny['config'], '--resume', '--work-dir', tmp_path / 'work',
        '--cfg-options', f'load_from={evil}'], check=False)
    assert proc.returncode != 0
    assert f'Refusing to load {evil}' in proc.stdout
    assert not marker.exists()


def test_resume_refuses_pickled_last_checkpoint(tiny, tmp_path):
    marker = tmp_path / 'pwned'
    evil = _evil_checkpoint(tmp_path / 'evil.pth', marker)
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'last_checkpoint').write_text(str(evil))
    proc = run_tool('train.py', [tiny['config'], '--resume', '--work-dir',
                                 work], check=False)
    assert proc.returncode != 0
    assert f'--resume: continuing from {evil}' in proc.stdout
    assert f'Refusing to load {evil}' in proc.stdout
    assert not marker.exists()


# -- item 2: checkpoints must fill the model ----------------------------------
def _write_pseudo_labels(cityscapes: str, out_dir: Path) -> str:
    """Random pseudo-labels at the tiny input size for the toy train split."""
    from mmseg_dda.pseudo_labels import pseudo_label_path, save_pseudo_label
    rng = np.random.default_rng(0)
    images = sorted(glob.glob(os.path.join(cityscapes, 'leftImg8bit',
                                           'train', '**', '*.png'),
                              recursive=True))
    assert images
    for img in images:
        label = rng.integers(0, 16, (TINY_INPUT[1], TINY_INPUT[0]))
        label[:5] = 255
        save_pseudo_label(pseudo_label_path(str(out_dir), img),
                          label.astype(np.uint8))
    return str(out_dir)


def _write_selftrain_config(tiny: dict, folder: Path) -> str:
    """Tiny STEP-4 config: the tiny DDA config's segmentor, alone.

    The poly horizon is fixed (201), so a run resumed with a larger
    ``train_cfg.max_iters`` follows the same schedule.
    """
    demo = REPO / 'configs' / 'demo' / 'toy_syn2city_selftrain.py'
    labels = _write_pseudo_labels(tiny['cityscapes'], folder / 'pseudo')
    text = f'''_base_ = [{str(demo)!r}]
input_scale = {TINY_INPUT!r}
model = dict({tiny_segmentor_text()})
selftrain_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeWithPad', scale=input_scale, keep_ratio=False),
    dict(type='LoadMappedAnnotations'),
    dict(type='PackDDAInputs'),
]
{tiny_pipelines_text(TINY_INPUT, "dict(type='LoadSourceDensityMaps')")}load_from = None
train_dataloader = dict(
    num_workers=0,
    dataset=dict(data_root={tiny['cityscapes']!r}, pseudo_label_dir={labels!r},
                 pipeline=selftrain_pipeline))
val_dataloader = dict(
    num_workers=0,
    dataset=dict(data_root={tiny['cityscapes']!r}, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=-1))
randomness = dict(seed=1234, deterministic=True)
'''
    path = folder / 'tiny_selftrain.py'
    path.write_text(text)
    return str(path)


@pytest.fixture(scope='module')
def selftrain_cfg(tiny, tmp_path_factory):
    return _write_selftrain_config(tiny, tmp_path_factory.mktemp('trust'))


def _segmentor_checkpoint(dda_ckpt: str, path: Path) -> str:
    """The segmentor layout (as self-training writes it) of a DDA ckpt."""
    state = read_checkpoint(dda_ckpt)['state_dict']
    seg = {k[len('segmentor.'):]: v for k, v in state.items()
           if k.startswith('segmentor.')}
    torch.save({'meta': {}, 'state_dict': seg}, path)
    return str(path)


def _test_metrics(config, ckpt, work):
    return parse_metrics(run_tool('test.py', [config, ckpt, '--work-dir',
                                              work]).stdout)


def test_either_layout_evaluates_the_same(tiny, selftrain_cfg, tmp_path):
    seg_ckpt = _segmentor_checkpoint(tiny['dda_ckpt'], tmp_path / 'seg.pth')
    # The reference: segmentor checkpoint, segmentor config (STEP 5).
    ref = _test_metrics(selftrain_cfg, seg_ckpt, tmp_path / 't1')
    # The case: a self-training checkpoint, the stage-1 config.
    proc = run_tool('test.py', [tiny['config'], seg_ckpt, '--work-dir',
                                tmp_path / 't2'])
    assert parse_metrics(proc.stdout) == ref
    assert "segmentor checkpoint loaded into the DDA model's segmentor" \
        in proc.stdout
    assert 'the discriminator keeps its initialisation' in proc.stdout
    # A stage-1 checkpoint, the segmentor config.
    proc = run_tool('test.py', [selftrain_cfg, tiny['dda_ckpt'],
                                '--work-dir', tmp_path / 't3'])
    assert parse_metrics(proc.stdout) == ref
    assert 'DDA checkpoint: its segmentor part is used' in proc.stdout


def test_unrelated_checkpoint_is_refused(tiny, tmp_path):
    ckpt = tmp_path / 'other.pth'
    torch.save({'state_dict': {'encoder.conv.weight': torch.zeros(3, 3),
                               'head.bias': torch.zeros(3)}}, ckpt)
    proc = run_tool('test.py', [tiny['config'], ckpt, '--work-dir',
                                tmp_path / 'w'], check=False)
    assert proc.returncode != 0
    out = proc.stdout
    assert f'{ckpt} does not fit the DDA model of the config' in out
    assert re.search(r'\d+ tensors: segmentor\.backbone \(\d+\), '
                     r'segmentor\.decode_head \(\d+\)', out)
    assert 'segmentor.backbone.conv1.weight' in out
    assert not log_lines(out, 'UDAIoUMetric: ')  # nothing was evaluated


# -- item 4: STEP 4 resumes ---------------------------------------------------
def _final_state(path):
    return read_checkpoint(str(path))


def test_selftrain_resumes_from_its_work_dir(tiny, selftrain_cfg, tmp_path):
    init = ['--cfg-options', f"load_from={tiny['dda_ckpt']}"]
    work = tmp_path / 'split'
    out = run_tool('train.py', [selftrain_cfg, '--work-dir', work, *init,
                                'train_cfg.max_iters=2']).stdout
    assert 'DDA checkpoint: its segmentor part is used' in out
    # The documented resume command keeps load_from (the stage-1 checkpoint)
    # in the config; the run continues from its own iter_2.pth.
    out = run_tool('train.py', [selftrain_cfg, '--work-dir', work,
                                '--resume', *init]).stdout
    assert f"--resume: continuing from {work / 'iter_2.pth'} (load_from=" \
        in out
    assert 'resumed epoch: 0, iter: 2' in out
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [2/4]' not in out

    straight = tmp_path / 'straight'
    run_tool('train.py', [selftrain_cfg, '--work-dir', straight, *init])
    got = _final_state(work / 'iter_4.pth')
    ref = _final_state(straight / 'iter_4.pth')
    assert got['meta']['iter'] == ref['meta']['iter'] == 4
    for key, value in ref['state_dict'].items():
        torch.testing.assert_close(got['state_dict'][key], value, rtol=1e-5,
                                   atol=1e-6, msg=key)
    for idx, state in ref['optimizer']['state'].items():
        for k, v in state.items():
            torch.testing.assert_close(got['optimizer']['state'][idx][k], v,
                                       rtol=1e-5, atol=1e-6)


def test_resume_without_checkpoint_starts_from_load_from(tiny, selftrain_cfg,
                                                         tmp_path):
    work = tmp_path / 'fresh'
    out = run_tool('train.py', [
        selftrain_cfg, '--work-dir', work, '--resume', '--cfg-options',
        f"load_from={tiny['dda_ckpt']}", 'train_cfg.max_iters=1']).stdout
    assert f'--resume: no checkpoint in {work} yet; starting a fresh run ' \
        f"from load_from={tiny['dda_ckpt']}" in out
    assert 'Iter(train) [1/1]' in out


def test_missing_load_from_is_named(selftrain_cfg, tmp_path):
    missing = tmp_path / 'stage1' / 'iter_90000.pth'
    proc = run_tool('train.py', [selftrain_cfg, '--work-dir', tmp_path / 'w',
                                 '--cfg-options', f'load_from={missing}'],
                    check=False)
    assert proc.returncode != 0
    assert f'load_from={missing}: no such checkpoint' in proc.stdout
    assert 'run STEP 2 first, or pass --cfg-options load_from=CKPT' \
        in proc.stdout
