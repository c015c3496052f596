"""One DDA training step (docs/method.md §5.1): speed modes vs the reference.

Every path trains the **same network and losses**: the full DeepLab-v2
ResNet-101 DDA model of ``configs/dda/syn2city_7cls_small.py`` (real widths,
``init_cfg=None``, 320x640 input, GMM ``c7small`` on the 41x81 grid) or, with
``--size 760 1280``, of ``configs/dda/syn2city_7cls.py`` /
``syn2city_16cls.py`` (``--classes``).

Paths (``--variants`` picks the DDA ones; the reference always runs unless
``--no-reference``):

* ``reference``: a hand-written PyTorch loop, the reference's call pattern:
  mean subtraction, ``extract_feat`` + the three heads, ``F.cross_entropy``
  with class weights, BerHu, the density targets, entropy x density into D,
  separate source and target passes, four ``backward`` calls,
  ``torch.optim.SGD`` / ``Adam`` steps; fp32.
* ``fp32``: ``DDA.train_step`` with the ``OptimWrapperDict`` built by the
  config's ``MultiOptimWrapperConstructor``, exactly what
  ``IterBasedTrainLoop`` calls (the default, exact mode).
* ``fp32_keep_bn_inputs``: the same with
  ``backbone.recompute_norm_inputs=False``: the bottlenecks keep every BN
  input, as the reference's do (the reference paths always do).
* ``channels_last``: the same with ``model.channels_last=True``.
* ``amp``: ``BF16OptimWrapper`` (bf16 autocast, CPU or CUDA).
* ``amp_channels_last``: both: the fast mode (``tools/train.py --amp bf16``).
* ``compile``: ``fp32`` with ``model.segmentor.compile()``; its first
  iteration includes the compilation.

**Each path runs in its own process** with one model resident (so its peak
memory is its own), driven step by step over a pipe: the paths run
**interleaved** (one step of each in turn, the order rotating every
iteration), so load from other processes hits all alike; ``--sequential``
runs them one after the other instead (one process alive at a time, for
large inputs). All paths get the same synthetic in-memory batches (random
image, labels, inverse depth and squashed density maps) and the same initial
weights. Each step is split into data (preprocessing), forward, density
targets, discriminator (forward), backward, optimiser and other, with the
same timers in every path (on CUDA the timers synchronise).

Allocator: the ``DDA.train_step`` paths apply the config's
``env_cfg.malloc_cfg`` as ``tools/train.py`` does
(:mod:`mmseg_dda.utils.malloc_tuning`); ``reference`` keeps glibc's
defaults, as the reference implementation runs, and ``reference_malloc`` is
the same loop with the project's ``malloc_cfg``, which separates the
allocator's share of the speed-up from the step's own.

Memory per path: on CPU the peak RSS of the path's process sampled every
5 ms, split into the baseline (process after imports), the model resident
between steps (parameters, optimiser state), and the peak above the level at
the start of each segment of the step (source pass, target pass, the two D
updates, the optimiser steps); parameter, gradient, optimiser-state and
D-map sizes are also given in bytes. ``--memory-breakdown`` calls glibc's
``malloc_trim`` after every step so that each step starts from the resident
level (for the memory table; it undoes ``malloc_cfg`` and slows every path).
On CUDA: ``torch.cuda.max_memory_allocated`` per step.

Examples::

    python bench/benchmark_train_step.py --variants fp32 amp_channels_last
    python bench/benchmark_train_step.py --size 760 1280 --warmup 1 \\
        --iters 1 --sequential --variants fp32 amp_channels_last
    python bench/benchmark_train_step.py --device cuda --size 760 1280 \\
        --classes 16 --variants fp32 channels_last amp amp_channels_last

With ``--device cuda`` and no ``--variants``, the variants fp32, bf16 AMP and
channels-last are run at 760x1280 (c7 and c16 via ``--classes``).

Writes ``bench/results/train_step.json`` (atomically) and prints a table.
A ``data`` row times the real pipeline on toy images at the native SYNTHIA
size (``--data-samples``, 0 to skip).

Backbones (``--model mit-b5``, ``--model mit-b5 r101-v1c``): the framework
path only (``DDA.train_step``), for each chosen model next to the DeepLab-v2
row, each in its own subprocess (so that peak RSS is per model), 16 classes, the
reference GMM set ``c16`` evaluated on each model's own grid (read from the
model), real widths, no pretrained weights. Reported per model: feature grid,
parameters, s/iteration, peak RSS and the share of the iteration spent in the
density targets and in the discriminator. Writes
``bench/results/train_step_backbones.json``::

    python bench/benchmark_train_step.py --model mit-b5 --warmup 1 --iters 2
"""
import argparse
import contextlib
import copy
import json
import logging
import os
import os.path as osp
import platform
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from typing import Dict, List, Optional

import mmseg_dda  # noqa: F401  (registers the project's modules)
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from machine import cpu_name
from smoke_widths import narrow_dda_widths
from mmseg_dda.datasets import feature_grid_size
from mmseg_dda.models.losses import (SOURCE_LABEL, TARGET_LABEL,
                                     adversarial_bce, berhu_loss, entropy_map)
from mmseg_dda.utils.atomic_io import atomic_write_json
from mmseg_dda.utils.malloc_tuning import apply_malloc_cfg, trim_free_memory

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PHASES = ('data', 'forward', 'density', 'discriminator', 'backward',
          'optimiser', 'other')
PHASE_NAMES = dict(
    data='data (preprocess)', forward='forward (2 passes)',
    density='density targets', discriminator='discriminator fwd',
    backward='backward (4 calls)', optimiser='optimiser (SGD+Adam)',
    other='other (losses, glue)')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--iters', type=int, default=5, help='timed iterations')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                   help='input size (default 320 640 on CPU, 760 1280 on '
                   'CUDA)')
    p.add_argument('--classes', type=int, choices=[7, 16], default=None,
                   help='7 or 16 (16 only at 760x1280; default 7)')
    p.add_argument('--depth', type=int, default=101, choices=[50, 101])
    p.add_argument('--amp', action='store_true',
                   help='bf16 autocast (BF16OptimWrapper; CPU or CUDA)')
    p.add_argument('--channels-last', action='store_true')
    p.add_argument('--variants', nargs='+',
                   choices=[v for v in PATHS if v != 'reference'],
                   help='DDA.train_step variants, each in its own process '
                   'next to the reference (plain loop, fp32) path (default: '
                   'the one given by --amp/--channels-last; on CUDA without '
                   'flags: fp32 amp channels_last)')
    p.add_argument('--no-reference', action='store_true',
                   help='skip the reference (plain loop) path')
    p.add_argument('--no-malloc-cfg', action='store_true',
                   help="every path keeps glibc's allocator defaults (the "
                   'DDA paths as with env_cfg.malloc_cfg=None)')
    p.add_argument('--memory-breakdown', action='store_true',
                   help="glibc's malloc_trim after every step, so that the "
                   'RSS segments of a step start from the resident level '
                   '(undoes env_cfg.malloc_cfg; slows every path: for the '
                   'memory table, not for timing)')
    p.add_argument('--sequential', action='store_true',
                   help='run the paths one after the other (one process '
                   'alive at a time) instead of interleaved')
    p.add_argument('--worker', choices=PATHS, help=argparse.SUPPRESS)
    p.add_argument('--tiny', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--threads', type=int, default=None,
                   help='torch threads (default: torch default)')
    p.add_argument('--data-samples', type=int, default=6,
                   help='samples for the data-pipeline row (0 = skip)')
    p.add_argument('--out', default=None,
                   help='result JSON (default bench/results/train_step.json, '
                   'or train_step_backbones.json with --model)')
    p.add_argument('--model', nargs='+', default=['deeplabv2'],
                   choices=sorted(MODELS_CFG),
                   help='deeplabv2 (default): framework vs plain loop; '
                   'other backbones: framework path of each model next to '
                   'the DeepLab-v2 row')
    p.add_argument('--row', action='store_true', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.out is None:
        name = ('train_step.json' if args.model == ['deeplabv2'] and
                not args.row else 'train_step_backbones.json')
        args.out = osp.join(REPO, 'bench', 'results', name)
    return args


#: --model -> 16-class SYNTHIA -> Cityscapes config of that network.
MODELS_CFG = {
    'deeplabv2': 'configs/dda/syn2city_16cls.py',
    'mit-b5': 'configs/dda/syn2city_16cls_mit-b5.py',
    'r101-v1c': 'configs/dda/syn2city_16cls_r101v1c.py',
}


def config_for(size, classes: int) -> str:
    """The shipped config whose input size and GMM grid match ``size``."""
    if tuple(size) == (320, 640):
        if classes != 7:
            raise SystemExit('320x640 exists only with 7 classes (c7small)')
        return osp.join(REPO, 'configs/dda/syn2city_7cls_small.py')
    if tuple(size) == (760, 1280):
        name = 'syn2city_16cls.py' if classes == 16 else 'syn2city_7cls.py'
        return osp.join(REPO, 'configs/dda', name)
    raise SystemExit(f'--size {size}: the GMM sets exist for 320x640 '
                     '(c7small) and 760x1280 (c7, c16) only')


# ---------------------------------------------------------------------------
# timing helpers
# ---------------------------------------------------------------------------
class PhaseTimer:
    """Accumulates wall time per phase; re-entrant calls count once."""

    def __init__(self, sync: bool):
        self.sync = sync
        self.totals: Dict[str, float] = defaultdict(float)
        self._depth = 0

    def _now(self) -> float:
        if self.sync:
            torch.cuda.synchronize()
        return time.perf_counter()

    @contextlib.contextmanager
    def __call__(self, phase: str):
        if self._depth:  # nested (e.g. D inside a timed forward): no double
            yield
            return
        self._depth += 1
        start = self._now()
        try:
            yield
        finally:
            self.totals[phase] += self._now() - start
            self._depth -= 1

    def wrap(self, phase: str, fn):
        def timed(*args, **kwargs):
            with self(phase):
                return fn(*args, **kwargs)
        return timed


class RssSampler:
    """Largest resident set size (bytes) seen while active (CPU)."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf('SC_PAGE_SIZE')
        #: Peak per label (set ``label`` while running to split the peak).
        self.label = ''
        self.peaks: Dict[str, int] = {}

    def _rss(self) -> int:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * self._page

    def _run(self):
        while not self._stop.is_set():
            rss = self._rss()
            self.peak = max(self.peak, rss)
            self.peaks[self.label] = max(self.peaks.get(self.label, 0), rss)
            time.sleep(self.interval)

    def __enter__(self):
        self._stop.clear()
        self.peak = self._rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


# ---------------------------------------------------------------------------
# model, data
# ---------------------------------------------------------------------------
#: Paths of the default benchmark. ``reference``: the plain loop (the
#: reference's call pattern), fp32; the others: ``DDA.train_step``.
PATHS = ('reference', 'reference_malloc', 'fp32', 'fp32_keep_bn_inputs',
         'channels_last', 'amp', 'amp_channels_last', 'compile')
PATH_NAMES = dict(
    reference='reference (plain loop, fp32)',
    reference_malloc='reference + malloc_cfg (plain loop, fp32)',
    fp32='DDA.train_step, fp32 (default)',
    fp32_keep_bn_inputs='DDA.train_step, fp32, BN inputs kept',
    channels_last='DDA.train_step, channels-last',
    amp='DDA.train_step, bf16 AMP',
    amp_channels_last='DDA.train_step, bf16 AMP + channels-last (fast)',
    compile='DDA.train_step, fp32, torch.compile(segmentor)')
#: Memory segments of one iteration, advanced by each backward call.
SEGMENTS = ('source pass', 'target pass', 'D update (source map)',
            'D update (target map)', 'optimiser steps')


@contextlib.contextmanager
def quiet_logger():
    """The MMEngine logger at WARNING (one INFO line per parameter)."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def build_path(cfg_path: str, depth: int, device: str, path: str,
               tiny: bool = False):
    """One model for one path: ``(cfg, model, optimisers)``.

    ``reference`` trains the model with :class:`PlainStep` (SGD + Adam,
    returned as a tuple); the others with ``DDA.train_step`` and the
    config's ``OptimWrapperDict`` (``BF16OptimWrapper`` for the AMP paths,
    ``channels_last=True`` in the model config for the channels-last ones).
    """
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmseg')
    cfg.model.segmentor.backbone.init_cfg = None
    cfg.model.segmentor.backbone.depth = depth
    if tiny:
        narrow_dda_widths(cfg.model)
    if not path.startswith('reference'):
        cfg.model.channels_last = 'channels_last' in path
    # The reference's bottlenecks keep every BN input for the backward.
    if path.startswith('reference') or path == 'fp32_keep_bn_inputs':
        cfg.model.segmentor.backbone.recompute_norm_inputs = False
    torch.manual_seed(0)
    base = MODELS.build(cfg.model)
    with quiet_logger():
        base.init_weights()  # the reference init of the heads
    base.to(device)
    # Every path trains a deep copy: training the freshly built module
    # measured up to 6% slower convolutions on CPU (allocation placement).
    model = copy.deepcopy(base)
    del base
    model.train()
    if path.startswith('reference'):
        seg_opt = cfg.optim_wrapper.segmentor.optimizer
        disc_opt = cfg.optim_wrapper.discriminator.optimizer
        sgd = torch.optim.SGD(
            [p for p in model.segmentor.parameters() if p.requires_grad],
            lr=seg_opt.lr, momentum=seg_opt.momentum,
            weight_decay=seg_opt.weight_decay)
        adam = torch.optim.Adam(model.discriminator.parameters(),
                                lr=disc_opt.lr, betas=tuple(disc_opt.betas))
        return cfg, model, (sgd, adam)
    ow_cfg = copy.deepcopy(cfg.optim_wrapper)
    if 'amp' in path:
        from mmseg_dda.engine import enable_fast_bf16
        enable_fast_bf16(dict(optim_wrapper=ow_cfg, model=dict()),
                         channels_last=False)
    with quiet_logger():
        wrappers = build_optim_wrapper(model, ow_cfg)
    if path == 'compile':
        model.segmentor.compile()
    return cfg, model, wrappers


def optimiser_state_bytes(optimisers) -> int:
    total = 0
    for opt in optimisers:
        for state in opt.state.values():
            total += sum(v.numel() * v.element_size() for v in state.values()
                         if torch.is_tensor(v) and v.dim() > 0)
    return total


def synthetic_batch(size, num_classes: int, seed: int = 0,
                    grid=None) -> dict:
    """One source + one target sample in the packed dataset format.

    ``grid`` is the model's feature grid (default: DeepLab-v2's).
    """
    g = torch.Generator().manual_seed(seed)
    h, w = size
    gh, gw = grid if grid is not None else feature_grid_size((h, w))

    def sample(source: bool) -> SegDataSample:
        s = SegDataSample()
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w),
                            pad_shape=(h, w), scale_factor=(1., 1.)))
        if source:
            label = torch.randint(0, num_classes, (1, h, w), generator=g)
            label[:, :h // 10] = 255  # some ignored pixels
            s.gt_sem_seg = PixelData(data=label)
            s.gt_depth_map = PixelData(
                data=65536 / (torch.randint(0, 65536, (1, h, w),
                                            generator=g).float() + 1))
            s.gt_density_map = PixelData(
                data=255 * torch.rand(num_classes, gh, gw, generator=g))
        return s

    def image():
        return torch.randint(0, 256, (3, h, w), generator=g,
                             dtype=torch.uint8)

    return dict(inputs=[image()], data_samples=[sample(True)],
                target_inputs=[image()], target_data_samples=[sample(False)])


# ---------------------------------------------------------------------------
# the two training steps
# ---------------------------------------------------------------------------
def instrument_framework(model, wrappers, timer: PhaseTimer,
                         channels_last: bool) -> None:
    """Wrap the framework's calls with phase timers (instance attributes)."""
    pre_forward = model.data_preprocessor.forward

    def preprocess(data, training=False):
        out = pre_forward(data, training)
        if channels_last:
            out['inputs'] = out['inputs'].contiguous(
                memory_format=torch.channels_last)
        return out

    model.data_preprocessor.forward = timer.wrap('data', preprocess)
    model.segmentor.forward = timer.wrap('forward', model.segmentor.forward)
    for name in ('source_density_target', 'target_density_target'):
        setattr(model.density, name,
                timer.wrap('density', getattr(model.density, name)))
    model.discriminator.forward = timer.wrap('discriminator',
                                             model.discriminator.forward)
    for key in ('segmentor', 'discriminator'):
        ow = wrappers[key]
        ow.backward = timer.wrap('backward', ow.backward)
        ow.step = timer.wrap('optimiser', ow.step)
        ow.zero_grad = timer.wrap('optimiser', ow.zero_grad)


class PlainStep:
    """The same iteration written out by hand on ``twin``."""

    def __init__(self, cfg, twin, sgd, adam, timer: PhaseTimer, device: str,
                 amp: bool, channels_last: bool):
        self.m, self.sgd, self.adam, self.t = twin, sgd, adam, timer
        self.device, self.amp, self.cl = device, amp, channels_last
        pre = cfg.model.data_preprocessor
        self.mean = torch.tensor(pre.mean, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(pre.std, device=device).view(1, 3, 1, 1)
        cw = cfg.model.segmentor.decode_head.loss_decode.get('class_weight')
        self.class_weight = (torch.tensor(cw, device=device)
                             if cw is not None else None)
        self.w = dict(twin.loss_weights)
        self.scaler = (torch.amp.GradScaler('cuda') if amp else None)

    def _autocast(self):
        if self.amp:
            return torch.autocast('cuda', dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _backward(self, loss):
        with self.t('backward'):
            (self.scaler.scale(loss) if self.scaler else loss).backward()

    def _heads(self, img):
        seg = self.m.segmentor
        with self.t('forward'):
            feat = seg.extract_feat(img)
            return (seg.decode_head.forward(feat),
                    seg.depth_head.forward(feat),
                    seg.density_head.forward(feat))

    @staticmethod
    def _up(x, size):
        return F.interpolate(x, size=size, mode='bilinear',
                             align_corners=True)

    def _d_input(self, logits, density, size):
        prob = F.softmax(self._up(logits, size), dim=1)
        return entropy_map(prob) * self._up(density, size)

    def __call__(self, data: dict) -> Dict[str, float]:
        m, t, w, dev = self.m, self.t, self.w, self.device
        fmt = torch.channels_last if self.cl else torch.contiguous_format
        with t('data'):
            def prep(imgs):
                x = torch.stack(imgs).to(dev, non_blocking=True).float()
                x = (x - self.mean) / self.std
                return x.contiguous(memory_format=fmt)
            src_img = prep(data['inputs'])
            tgt_img = prep(data['target_inputs'])
            ss = data['data_samples']
            label = torch.stack([s.gt_sem_seg.data[0] for s in ss]).to(dev)
            depth = torch.stack([s.gt_depth_map.data for s in ss]).to(dev)
            maps = torch.stack([s.gt_density_map.data for s in ss]).to(dev)
        size = tuple(src_img.shape[2:])
        for p in m.discriminator.parameters():
            p.requires_grad_(False)
        # (1) source pass
        with self._autocast():
            seg_s, dep_s, den_s = self._heads(src_img)
            ce = F.cross_entropy(self._up(seg_s, size), label,
                                 weight=self.class_weight, ignore_index=255)
            l_dep = berhu_loss(self._up(dep_s, size), depth)
            with t('density'):
                target_s = maps.gather(1, seg_s.detach().argmax(1, True))
            l_den = berhu_loss(den_s, target_s)
            loss_s = (w['seg_src'] * ce + w['density_src'] * l_den +
                      w['depth_src'] * l_dep)
        self._backward(loss_s)
        # (2) target pass, D frozen
        with self._autocast():
            seg_t, dep_t, den_t = self._heads(tgt_img)
            with t('density'):
                target_t = m.density.target_density_target(
                    seg_t.detach(), dep_t.detach())
            l_den_t = berhu_loss(den_t, target_t)
            d_in = self._d_input(seg_t, den_t, size)
            with t('discriminator'):
                d_out = m.discriminator(d_in)
            l_adv = adversarial_bce(d_out, SOURCE_LABEL)
            loss_t = w['adv_tgt'] * l_adv + w['density_tgt'] * l_den_t
        self._backward(loss_t)
        for p in m.discriminator.parameters():
            p.requires_grad_(True)
        # (3)(4) discriminator on detached maps
        with self._autocast():
            d_src = self._d_input(seg_s.detach(), den_s.detach(), size)
            with t('discriminator'):
                out_s = m.discriminator(d_src)
            l_ds = adversarial_bce(out_s, SOURCE_LABEL)
        self._backward(l_ds)
        with self._autocast():
            d_tgt = self._d_input(seg_t.detach(), den_t.detach(), size)
            with t('discriminator'):
                out_t = m.discriminator(d_tgt)
            l_dt = adversarial_bce(out_t, TARGET_LABEL)
        self._backward(l_dt)
        with t('optimiser'):
            for opt in (self.sgd, self.adam):
                if self.scaler:
                    self.scaler.step(opt)
                else:
                    opt.step()
            if self.scaler:
                self.scaler.update()
            self.sgd.zero_grad()
            self.adam.zero_grad()
        losses = {
            'src.loss_seg': w['seg_src'] * ce,
            'src.loss_depth': w['depth_src'] * l_dep,
            'src.loss_density': w['density_src'] * l_den,
            'tgt.loss_adv': w['adv_tgt'] * l_adv,
            'tgt.loss_density': w['density_tgt'] * l_den_t,
            'disc.loss_src': l_ds, 'disc.loss_tgt': l_dt}
        return {k: float(v.detach()) for k, v in losses.items()}


# ---------------------------------------------------------------------------
# runs: one worker process per path
# ---------------------------------------------------------------------------
class Worker:
    """One path in its own process (one model resident), driven step by
    step over a pipe, so that several paths can run interleaved."""

    def __init__(self, path: str, size, args):
        import subprocess
        cmd = [sys.executable, osp.abspath(__file__), '--worker', path,
               '--device', args.device, '--size', str(size[0]),
               str(size[1]), '--classes', str(args.classes or 7), '--depth',
               str(args.depth)]
        if args.threads:
            cmd += ['--threads', str(args.threads)]
        if args.tiny:
            cmd.append('--tiny')
        for flag in ('memory_breakdown', 'no_malloc_cfg'):
            if getattr(args, flag):
                cmd.append('--' + flag.replace('_', '-'))
        self.path = path
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.info = None

    def _reply(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f'benchmark worker {self.path!r} died '
                               f'(exit code {self.proc.wait()})')
        return json.loads(line)

    def ready(self) -> dict:
        if self.info is None:
            self.info = self._reply()
        return self.info

    def step(self, seed: int) -> dict:
        self.proc.stdin.write(f'{seed}\n')
        self.proc.stdin.flush()
        return self._reply()

    def close(self) -> dict:
        self.proc.stdin.write('done\n')
        self.proc.stdin.flush()
        final = self._reply()
        self.proc.wait()
        return final


def worker_main(args, size) -> None:
    """``--worker PATH``: build one model, then run one step per seed read
    from stdin and answer one JSON line each (logs go to stderr)."""
    out = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)  # MMEngine's logger writes to stdout
    sampler = RssSampler()
    rss_start = sampler._rss()
    device = args.device
    if device == 'cuda':
        torch.backends.cudnn.benchmark = True
    path = args.worker
    cfg_path = config_for(size, args.classes or 7)
    t0 = time.perf_counter()
    cfg, model, opt = build_path(cfg_path, args.depth, device, path,
                                 args.tiny)
    build_s = time.perf_counter() - t0
    # Freed heap memory back to the OS: RSS deltas then mean something, and
    # an idle worker holds little more than its model.
    trim_free_memory()
    # As tools/train.py does (ConsoleRunner.setup_env); the reference loop
    # keeps glibc's defaults unless it is the reference_malloc path.
    malloc_applied = (path != 'reference' and not args.no_malloc_cfg
                      and apply_malloc_cfg(cfg.env_cfg.get('malloc_cfg')))
    sync = device == 'cuda'
    timer = PhaseTimer(sync)
    counter = dict(n=0)

    def advance(fn):
        def counted(*a, **k):
            try:
                return fn(*a, **k)
            finally:
                counter['n'] += 1
                sampler.label = SEGMENTS[min(counter['n'],
                                             len(SEGMENTS) - 1)]
        return counted

    if path.startswith('reference'):
        sgd, adam = opt
        step = PlainStep(cfg, model, sgd, adam, timer, device, False, False)
        step._backward = advance(step._backward)
        optimisers = (sgd, adam)
    else:
        instrument_framework(model, opt, timer, False)
        for key in ('segmentor', 'discriminator'):
            opt[key].backward = advance(opt[key].backward)
        optimisers = (opt['segmentor'].optimizer,
                      opt['discriminator'].optimizer)

        def step(data):
            res = model.train_step(data, opt)
            return {k: float(v) for k, v in res.items() if k != 'loss'}

    seg, disc = model.segmentor, model.discriminator
    info = dict(
        path=path, build_s=build_s, rss_start=rss_start,
        rss_model=sampler._rss(),
        params_segmentor_bytes=sum(p.numel() * p.element_size()
                                   for p in seg.parameters()),
        params_discriminator_bytes=sum(p.numel() * p.element_size()
                                       for p in disc.parameters()),
        params_segmentor=sum(p.numel() for p in seg.parameters()),
        params_discriminator=sum(p.numel() for p in disc.parameters()),
        malloc_cfg=(dict(cfg.env_cfg.malloc_cfg) if malloc_applied else None),
        torch_threads=torch.get_num_threads())
    out.write(json.dumps(info) + '\n')
    out.flush()
    num_classes = model.density.num_classes
    for line in sys.stdin:
        if line.strip() == 'done':
            break
        seed = int(line)
        data = synthetic_batch(size, num_classes, seed=seed)
        timer.totals.clear()
        counter['n'] = 0
        sampler.label = SEGMENTS[0]
        sampler.peaks = {}
        if sync:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        before = sampler._rss()
        with sampler:
            start = timer._now()
            losses = step(data)
            elapsed = timer._now() - start
        phases = dict(timer.totals)
        phases['other'] = elapsed - sum(phases.values())
        reply = dict(
            seed=seed, elapsed=elapsed, losses=losses, phases=phases,
            rss_before=before, rss_peak=sampler.peak,
            segment_peaks=dict(sampler.peaks),
            cuda_peak=(torch.cuda.max_memory_allocated() if sync else None),
            optimiser_state_bytes=optimiser_state_bytes(optimisers))
        del data
        if args.memory_breakdown:
            trim_free_memory()
        reply['rss_after'] = sampler._rss()
        out.write(json.dumps(reply) + '\n')
        out.flush()
    out.write(json.dumps(dict(
        process_peak_rss_bytes=resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss * 1024)) + '\n')
    out.flush()


def summarise_path(info: dict, steps: List[dict], final: dict,
                   warmup: int, size, classes: int, device: str) -> dict:
    timed = steps[warmup:]
    totals = [s['elapsed'] for s in timed]
    phases: Dict[str, List[float]] = {}
    for s in timed:
        for k, v in s['phases'].items():
            phases.setdefault(k, []).append(v)
    last = timed[-1]
    base = last['rss_before']
    seg_peaks = {}
    for s in timed:
        for k, v in s['segment_peaks'].items():
            seg_peaks[k] = max(seg_peaks.get(k, 0), v - s['rss_before'])
    params = info['params_segmentor_bytes'] + \
        info['params_discriminator_bytes']
    h, w = size
    map_bytes = 4 * classes * h * w  # one D input map, fp32, batch 1
    res = dict(
        path=info['path'], name=PATH_NAMES[info['path']],
        build_s=info['build_s'],
        median_s=float(np.median(totals)), min_s=float(np.min(totals)),
        all_s=totals, warmup_s=[s['elapsed'] for s in steps[:warmup]],
        phases_median_s={k: float(np.median(v)) for k, v in phases.items()},
        first_iter_losses=steps[0]['losses'],
        params_segmentor=info['params_segmentor'],
        params_discriminator=info['params_discriminator'],
        memory=dict(
            kind=('cuda max_memory_allocated' if device == 'cuda' else
                  'RSS of the path\'s own process, sampled every 5 ms'),
            peak_rss_bytes=max(s['rss_peak'] for s in timed),
            process_peak_rss_bytes=final['process_peak_rss_bytes'],
            cuda_peak_bytes=(max(s['cuda_peak'] for s in timed)
                             if device == 'cuda' else None),
            baseline_rss_bytes=info['rss_start'],
            model_resident_rss_bytes=info['rss_model'] - info['rss_start'],
            between_steps_rss_bytes=base,
            parameters_bytes=params,
            gradients_bytes=params,
            optimiser_state_bytes=last['optimiser_state_bytes'],
            step_peak_above_resident_bytes=seg_peaks,
            discriminator_map_bytes=map_bytes))
    return res


def run_paths(paths: List[str], size, args) -> List[dict]:
    """All paths, interleaved (one step each in turn, the order rotating
    every iteration) or, with ``--sequential``, one after the other."""
    classes = args.classes or 7
    n = args.warmup + args.iters
    groups = [[p] for p in paths] if args.sequential else [paths]
    results = {}
    for group in groups:
        workers = []
        for p in group:  # build one at a time (each uses all threads)
            w = Worker(p, size, args)
            w.ready()
            workers.append(w)
            print(f'  built {p} in {w.info["build_s"]:.1f} s', flush=True)
        steps = {w.path: [] for w in workers}
        for it in range(n):
            k = it % len(workers)
            for w in workers[k:] + workers[:k]:
                r = w.step(it)
                steps[w.path].append(r)
                print(f'  iter {it} {w.path}: {r["elapsed"]:.2f} s'
                      + (' (warm-up)' if it < args.warmup else ''),
                      flush=True)
        for w in workers:
            final = w.close()
            results[w.path] = summarise_path(w.info, steps[w.path], final,
                                             args.warmup, size, classes,
                                             args.device)
    out = [results[p] for p in paths]
    if 'reference' in results:
        ref = results['reference']
        for r in out:
            r['ratio_to_reference_median'] = r['median_s'] / ref['median_s']
            r['ratio_to_reference_min'] = r['min_s'] / ref['min_s']
            r['first_iter_max_abs_loss_diff_to_reference'] = max(
                abs(r['first_iter_losses'][k] - v)
                for k, v in ref['first_iter_losses'].items())
    return out


def print_paths(res: dict) -> None:
    size = res['size']
    print(f"\n{res['config']}  {size[0]}x{size[1]}  C={res['classes']}  "
          f"R{res['depth']}  device={res['device']}  ({res['iters']} timed "
          f"after {res['warmup']} warm-up, "
          f"{'sequential' if res['sequential'] else 'interleaved'}, load "
          f"average {res['load_average'][0]:.2f} at the start, "
          f"{res['load_average_end'][0]:.2f} at the end)")
    print(f"| {'path':<50} | {'s/it median':>11} | {'min':>7} | "
          f"{'ratio':>5} | {'peak mem':>9} | {'loss diff':>9} |")
    print('|' + '|'.join('-' * n for n in (52, 13, 9, 7, 11, 11)) + '|')
    for r in res['paths']:
        mem = r['memory']
        peak = mem['cuda_peak_bytes'] or mem['peak_rss_bytes']
        print(f"| {r['name']:<50} | {r['median_s']:>11.2f} | "
              f"{r['min_s']:>7.2f} | "
              f"{r.get('ratio_to_reference_median', float('nan')):>5.2f} | "
              f"{fmt_bytes(peak):>9} | "
              f"{r.get('first_iter_max_abs_loss_diff_to_reference', 0):>9.2e}"
              ' |')
    print('\nmemory (GiB): baseline = process after imports; resident = '
          'model + optimiser between steps; segments = peak above resident')
    for r in res['paths']:
        m = r['memory']
        segs = ', '.join(f'{k} {v / 2**30:.2f}' for k, v in
                         m['step_peak_above_resident_bytes'].items())
        print(f"  {r['path']}: peak {m['peak_rss_bytes'] / 2**30:.2f}, "
              f"baseline {m['baseline_rss_bytes'] / 2**30:.2f}, resident "
              f"{m['between_steps_rss_bytes'] / 2**30:.2f} (params "
              f"{m['parameters_bytes'] / 2**30:.2f}, grads "
              f"{m['gradients_bytes'] / 2**30:.2f} during the step, "
              f"optimiser state {m['optimiser_state_bytes'] / 2**30:.2f}); "
              f"{segs}; one D map {m['discriminator_map_bytes'] / 2**20:.1f}"
              ' MiB')
    for r in res['paths']:
        if r['path'] == 'compile':
            print(f"  compile: first (compiling) iteration "
                  f"{r['warmup_s'][0] if r['warmup_s'] else r['all_s'][0]:.1f}"
                  f" s vs median {r['median_s']:.2f} s")


def data_row(cfg_path: str, size, samples: int) -> Optional[dict]:
    """Real pipeline on toy images at the native SYNTHIA size (1280x760)."""
    if samples <= 0:
        return None
    from mmengine.dataset import pseudo_collate
    from mmseg.registry import DATASETS

    from mmseg_dda.demo.toy import generate_toy_dataset
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmseg')
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    scale = (size[1], size[0])
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        roots = generate_toy_dataset(tmp, num_source=samples,
                                     num_target=samples, num_val=1,
                                     size=(1280, 760),
                                     cityscapes_size=(2048, 1024))
        gen_s = time.perf_counter() - t0
        src_pipe = [
            t if t['type'] != 'LoadSourceDensityMaps' else dict(
                type='ComputeSourceDensityMaps',
                gmm=cfg.model.density.params, scale=scale)
            for t in ds_cfg.source.pipeline]
        ds_cfg.source.update(data_root=roots['synthia'], ann_file='',
                             with_density_maps=False, pipeline=src_pipe)
        ds_cfg.target.update(data_root=roots['cityscapes'], ann_file='')
        dataset = DATASETS.build(ds_cfg)
        pseudo_collate([dataset[0]])  # warm-up (lazy GMM, imports)
        t0 = time.perf_counter()
        for i in range(samples):
            batch = pseudo_collate([dataset[i % len(dataset)]])
        per = (time.perf_counter() - t0) / samples
    dens = batch['data_samples'][0].gt_density_map.data.shape
    return dict(samples=samples, seconds_per_iteration=per,
                toy_generation_s=gen_s, source_native=[760, 1280],
                target_native=[1024, 2048], input=list(size),
                density_shape=list(dens),
                note='one source + one target sample per iteration, '
                'single process (DataLoader workers hide this time in '
                'training); density maps computed on the fly')


# ---------------------------------------------------------------------------
# backbones: the framework path of each model
# ---------------------------------------------------------------------------
def run_backbone_row(model_name: str, size, args) -> dict:
    """``DDA.train_step`` of one model: s/iteration, phases, peak RSS."""
    from mmseg_dda.apis.model_grid import model_feature_grid
    cfg_path = osp.join(REPO, MODELS_CFG[model_name])
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmseg')
    cfg.model.segmentor.backbone.init_cfg = None
    # The reference 16-class set on this model's grid: the pdf costs the
    # same whatever the fitted values are.
    cfg.model.density.params = 'c16'
    grid = model_feature_grid(cfg.model, size)
    device = args.device
    sync = device == 'cuda'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    model.to(device).train()
    logger.setLevel(logging.WARNING)  # one paramwise line per parameter
    try:
        wrappers = build_optim_wrapper(model,
                                       copy.deepcopy(cfg.optim_wrapper))
    finally:
        logger.setLevel(level)
    timer = PhaseTimer(sync)
    instrument_framework(model, wrappers, timer, False)
    num_classes = model.density.num_classes
    totals, phases, peak = [], {}, 0
    for it in range(args.warmup + args.iters):
        data = synthetic_batch(size, num_classes, seed=it, grid=grid)
        timer.totals.clear()
        if sync:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        sampler = RssSampler() if device == 'cpu' else \
            contextlib.nullcontext()
        with sampler:
            start = timer._now()
            out = model.train_step(data, wrappers)
            elapsed = timer._now() - start
        if not all(torch.isfinite(v).all() for v in out.values()):
            raise RuntimeError(f'{model_name}: non-finite loss {out}')
        if it < args.warmup:
            continue
        peak = max(peak, torch.cuda.max_memory_allocated() if sync else
                   sampler.peak)
        totals.append(elapsed)
        acc = dict(timer.totals)
        acc['other'] = elapsed - sum(acc.values())
        for k, v in acc.items():
            phases.setdefault(k, []).append(v)
    med = {k: float(np.median(v)) for k, v in phases.items()}
    median = float(np.median(totals))
    seg = model.segmentor
    return dict(
        model=model_name, config=MODELS_CFG[model_name], size=list(size),
        classes=num_classes, grid=list(grid), device=device,
        backbone=type(seg.backbone).__name__,
        decode_head=type(seg.decode_head).__name__,
        params_segmentor=sum(p.numel() for p in seg.parameters()),
        params_discriminator=sum(
            p.numel() for p in model.discriminator.parameters()),
        iters=args.iters, warmup=args.warmup,
        torch_threads=torch.get_num_threads(),
        median_s=median, min_s=float(np.min(totals)), all_s=totals,
        phases_median_s=med,
        share_density=med.get('density', 0.) / median,
        share_discriminator=med.get('discriminator', 0.) / median,
        peak_memory_bytes=int(peak),
        peak_memory_kind=('cuda max_memory_allocated' if sync else
                          'RSS sampled during train_step (whole process)'))


def run_backbones(args, size) -> dict:
    """The DeepLab-v2 row and the ``--model`` rows, one subprocess each."""
    import subprocess
    rows = []
    names = ['deeplabv2'] + [m for m in args.model if m != 'deeplabv2']
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            out = osp.join(tmp, 'row.json')
            cmd = [sys.executable, osp.abspath(__file__), '--row',
                   '--model', name, '--device', args.device, '--iters',
                   str(args.iters), '--warmup', str(args.warmup), '--size',
                   str(size[0]), str(size[1]), '--out', out]
            if args.threads:
                cmd += ['--threads', str(args.threads)]
            subprocess.run(cmd, check=True)
            with open(out, encoding='utf-8') as f:
                rows.append(json.load(f))
    return dict(machine=machine_info(), rows=rows)


def print_backbones(res: dict) -> None:
    print(f"| {'model':<10} | {'backbone':<20} | {'grid':>7} | "
          f"{'params':>7} | {'s/iter':>7} | {'peak mem':>9} | "
          f"{'density':>7} | {'discr.':>6} |")
    print('|' + '|'.join('-' * n for n in (12, 22, 9, 9, 9, 11, 9, 8)) + '|')
    for r in res['rows']:
        print(f"| {r['model']:<10} | {r['backbone']:<20} | "
              f"{r['grid'][0]:>3}x{r['grid'][1]:<3} | "
              f"{r['params_segmentor'] / 1e6:>6.1f}M | "
              f"{r['median_s']:>7.2f} | "
              f"{fmt_bytes(r['peak_memory_bytes']):>9} | "
              f"{100 * r['share_density']:>6.1f}% | "
              f"{100 * r['share_discriminator']:>5.1f}% |")
    r = res['rows'][0]
    print(f"{r['size'][0]}x{r['size'][1]}, {r['classes']} classes, "
          f"device {r['device']}, {r['iters']} timed after {r['warmup']} "
          f"warm-up, median; peak memory: {r['peak_memory_kind']}")


def machine_info() -> dict:
    info = dict(platform=platform.platform(), cpu=cpu_name(),
                cpu_count=os.cpu_count(), torch=torch.__version__,
                torch_threads=torch.get_num_threads())
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name()
    return info


def fmt_bytes(n: int) -> str:
    return f'{n / 2**30:.2f} GiB'


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no GPU available')
    size = tuple(args.size or ((760, 1280) if args.device == 'cuda' else
                               (320, 640)))
    if args.row:  # one model, in a subprocess of run_backbones
        res = run_backbone_row(args.model[0], size, args)
        atomic_write_json(args.out, res)
        return res
    if args.model != ['deeplabv2']:
        res = run_backbones(args, size)
        atomic_write_json(args.out, res)
        print(f"machine: {res['machine']['cpu']}, "
              f"{res['machine']['cpu_count']} cores, torch threads "
              f"{res['machine']['torch_threads']}")
        print_backbones(res)
        print(f'wrote {args.out}')
        return res
    classes = args.classes or 7
    cfg_path = config_for(size, classes)
    if args.worker:  # one path, driven by run_paths over a pipe
        worker_main(args, size)
        return {}
    if args.variants:
        variants = list(args.variants)
    elif args.device == 'cuda' and not (args.amp or args.channels_last):
        variants = ['fp32', 'amp', 'channels_last']
    else:
        variants = [('amp' if args.amp else '') +
                    ('_channels_last' if args.channels_last else '')]
        variants = [{'': 'fp32', '_channels_last': 'channels_last'}.get(
            variants[0], variants[0])]
    paths = list(dict.fromkeys(
        ([] if args.no_reference else ['reference']) + variants))
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True
    load = os.getloadavg()
    print(f'{len(paths)} paths, one process each: {" ".join(paths)}',
          flush=True)
    results = run_paths(paths, size, args)
    res = dict(machine=machine_info(), config=osp.relpath(cfg_path, REPO),
               size=list(size), classes=classes, depth=args.depth,
               device=args.device, iters=args.iters, warmup=args.warmup,
               sequential=args.sequential, load_average=list(load),
               load_average_end=list(os.getloadavg()), paths=results)
    res['data'] = data_row(cfg_path, size, args.data_samples)
    atomic_write_json(args.out, res)
    print(f"machine: {res['machine']['cpu']}, {res['machine']['cpu_count']} "
          f"cores, torch threads {res['machine']['torch_threads']}")
    print_paths(res)
    print(f'wrote {args.out}')
    return res


if __name__ == '__main__':
    main()
