"""One DDA training step (docs/method.md §5.1): MMEngine path vs a plain loop.

Both paths train the **same network and losses**: the full DeepLab-v2
ResNet-101 DDA model of ``configs/dda/syn2city_7cls_small.py`` (real widths,
``init_cfg=None``, 320x640 input, GMM ``c7small`` on the 41x81 grid) or, with
``--size 760 1280``, of ``configs/dda/syn2city_7cls.py`` /
``syn2city_16cls.py`` (``--classes``).

* ``framework``: ``DDA.train_step`` with the ``OptimWrapperDict`` built by
  the config's ``MultiOptimWrapperConstructor`` (data preprocessor, two
  forward passes, density targets, frozen-D generator term, D update, finite
  check, SGD + Adam steps) -- exactly what ``IterBasedTrainLoop`` calls.
* ``plain``: a hand-written PyTorch loop over the same model (both paths
  train their own deep copy of one built model, same initial weights): mean subtraction, ``extract_feat`` + the three heads,
  ``F.cross_entropy`` with class weights, BerHu, the density targets,
  entropy x density into D, four ``backward`` calls, ``torch.optim.SGD`` /
  ``Adam`` steps.

Batches are synthetic and in memory (random image, labels, inverse depth and
squashed density maps), so data loading is timed separately: the ``data``
row at the end runs the real pipeline (``SourceTargetDataset`` with on-the-fly
density maps) on generated toy images at the native SYNTHIA size.

The two paths run **interleaved** (one framework step, one plain step, ...),
so load from other processes on a shared machine hits both alike. Each step
is broken down into data (preprocessing), forward, density targets,
discriminator (forward), backward, optimiser and other (losses, entropy,
upsampling, glue), measured with the same timers in both paths (on CUDA the
timers synchronise, identically for both). Peak memory: on CPU the largest
RSS sampled while each path runs (both models are resident, so the values
share a baseline), on CUDA ``torch.cuda.max_memory_allocated`` per path.

Examples::

    python bench/benchmark_train_step.py                    # CPU, 320x640
    python bench/benchmark_train_step.py --device cuda --size 760 1280 \\
        --classes 16 --amp --channels-last

With ``--device cuda`` and no ``--variants``, the variants fp32, bf16 AMP and
channels-last are all run at 760x1280 (c7 and c16 via ``--classes``).

Writes ``bench/results/train_step.json`` (atomically) and prints a table.

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

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_dda  # noqa: E402,F401,I001  (compat shims first)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

from machine import cpu_name  # noqa: E402
from mmseg_dda.utils.atomic_io import atomic_write_json  # noqa: E402
from mmseg_dda.datasets import feature_grid_size  # noqa: E402
from mmseg_dda.models.losses import (SOURCE_LABEL, TARGET_LABEL,  # noqa: E402
                                     adversarial_bce, berhu_loss, entropy_map)

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
    p.add_argument('--amp', action='store_true', help='bf16 autocast (CUDA)')
    p.add_argument('--channels-last', action='store_true')
    p.add_argument('--variants', nargs='+',
                   choices=['fp32', 'amp', 'channels_last',
                            'amp_channels_last'],
                   help='variants to run (default: the one given by --amp/'
                   '--channels-last; on CUDA without flags: fp32 amp '
                   'channels_last)')
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

    def _rss(self) -> int:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * self._page

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
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
def build(cfg_path: str, depth: int, device: str, amp: bool,
          channels_last: bool):
    """Build the DDA model, its optimiser wrappers and the plain twin."""
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmseg')
    cfg.model.segmentor.backbone.init_cfg = None
    cfg.model.segmentor.backbone.depth = depth
    torch.manual_seed(0)
    base = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # one INFO line per parameter
    try:
        base.init_weights()  # the reference init of the heads
    finally:
        logger.setLevel(level)
    base.to(device)
    if channels_last:
        base.to(memory_format=torch.channels_last)
    # Both paths train a fresh deep copy: training the freshly built module
    # on one side measured up to 6% slower convolutions on CPU (allocation
    # placement), which is not framework overhead.
    model, twin = copy.deepcopy(base), copy.deepcopy(base)
    del base
    ow_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        for key in ('segmentor', 'discriminator'):
            ow_cfg[key]['type'] = 'AmpOptimWrapper'
            ow_cfg[key]['dtype'] = 'bfloat16'
            ow_cfg[key]['loss_scale'] = 'dynamic'
    wrappers = build_optim_wrapper(model, ow_cfg)
    seg_opt = cfg.optim_wrapper.segmentor.optimizer
    disc_opt = cfg.optim_wrapper.discriminator.optimizer
    sgd = torch.optim.SGD(
        [p for p in twin.segmentor.parameters() if p.requires_grad],
        lr=seg_opt.lr, momentum=seg_opt.momentum,
        weight_decay=seg_opt.weight_decay)
    adam = torch.optim.Adam(twin.discriminator.parameters(), lr=disc_opt.lr,
                            betas=tuple(disc_opt.betas))
    return cfg, model, wrappers, twin, sgd, adam


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
# runs
# ---------------------------------------------------------------------------
def run_variant(cfg_path: str, size, args, amp: bool,
                channels_last: bool) -> dict:
    device = args.device
    cfg, model, wrappers, twin, sgd, adam = build(
        cfg_path, args.depth, device, amp, channels_last)
    num_classes = model.density.num_classes
    sync = device == 'cuda'
    timers = dict(framework=PhaseTimer(sync), plain=PhaseTimer(sync))
    instrument_framework(model, wrappers, timers['framework'], channels_last)
    plain = PlainStep(cfg, twin, sgd, adam, timers['plain'], device, amp,
                      channels_last)
    model.train()
    twin.train()

    def framework_step(data):
        out = model.train_step(data, wrappers)
        return {k: float(v) for k, v in out.items() if k != 'loss'}

    steps = dict(framework=framework_step, plain=plain)
    totals: Dict[str, List[float]] = dict(framework=[], plain=[])
    phases: Dict[str, Dict[str, float]] = dict(framework={}, plain={})
    peaks = dict(framework=0, plain=0)
    first_losses = {}
    for it in range(args.warmup + args.iters):
        data = synthetic_batch(size, num_classes, seed=it)
        for name in (('framework', 'plain') if it % 2 == 0 else
                     ('plain', 'framework')):
            timer = timers[name]
            timer.totals.clear()
            if sync:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            sampler = RssSampler() if device == 'cpu' else \
                contextlib.nullcontext()
            with sampler:
                start = timer._now()
                losses = steps[name](data)
                elapsed = timer._now() - start
            if it == 0:
                first_losses[name] = losses
            if it < args.warmup:
                continue
            peak = (torch.cuda.max_memory_allocated() if sync else
                    sampler.peak)
            peaks[name] = max(peaks[name], peak)
            totals[name].append(elapsed)
            acc = dict(timer.totals)
            acc['other'] = elapsed - sum(acc.values())
            for k, v in acc.items():
                phases[name].setdefault(k, []).append(v)
    loss_diff = max(
        abs(first_losses['framework'][k] - first_losses['plain'][k])
        for k in first_losses['plain'])
    result = dict(
        config=osp.relpath(cfg_path, REPO), size=list(size),
        classes=num_classes, depth=args.depth, amp_bf16=amp,
        channels_last=channels_last, device=device,
        iters=args.iters, warmup=args.warmup,
        torch_threads=torch.get_num_threads(),
        params_segmentor=sum(p.numel() for p in model.segmentor.parameters()),
        params_discriminator=sum(
            p.numel() for p in model.discriminator.parameters()),
        first_iter_losses=first_losses,
        first_iter_max_abs_loss_diff=loss_diff)
    for name in ('framework', 'plain'):
        result[name] = dict(
            median_s=float(np.median(totals[name])),
            min_s=float(np.min(totals[name])),
            all_s=totals[name],
            phases_median_s={k: float(np.median(v))
                              for k, v in phases[name].items()},
            peak_memory_bytes=int(peaks[name]),
            peak_memory_kind=('cuda max_memory_allocated' if sync else
                              'RSS sampled while the path ran'))
    fw, pl = result['framework'], result['plain']
    result['overhead_median'] = fw['median_s'] / pl['median_s'] - 1
    result['overhead_min'] = fw['min_s'] / pl['min_s'] - 1
    del model, twin, wrappers
    return result


def data_row(cfg_path: str, size, samples: int) -> Optional[dict]:
    """Real pipeline on toy images at the native SYNTHIA size (1280x760)."""
    if samples <= 0:
        return None
    from mmengine.dataset import pseudo_collate
    from mmseg.registry import DATASETS

    from mmseg_dda.datasets.toy import generate_toy_dataset
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
    from mmseg_dda.density.grid import model_feature_grid
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


def print_table(res: dict) -> None:
    for v in res['variants']:
        fw, pl = v['framework'], v['plain']
        print(f"\n{v['config']}  {v['size'][0]}x{v['size'][1]}  "
              f"C={v['classes']}  R{v['depth']}  device={v['device']}  "
              f"amp_bf16={v['amp_bf16']}  channels_last={v['channels_last']}"
              f"  ({v['iters']} timed after {v['warmup']} warm-up)")
        print(f"| {'phase (median s/it)':<28} | {'MMEngine DDA':>12} | "
              f"{'plain loop':>12} |")
        print(f"|{'-' * 30}|{'-' * 14}|{'-' * 14}|")
        for ph in PHASES:
            a = fw['phases_median_s'].get(ph, 0.)
            b = pl['phases_median_s'].get(ph, 0.)
            print(f'| {PHASE_NAMES[ph]:<28} | {a:>12.3f} | {b:>12.3f} |')
        print(f"| {'total (median)':<28} | {fw['median_s']:>12.3f} | "
              f"{pl['median_s']:>12.3f} |")
        print(f"| {'total (min)':<28} | {fw['min_s']:>12.3f} | "
              f"{pl['min_s']:>12.3f} |")
        print(f"| {'peak memory':<28} | "
              f"{fmt_bytes(fw['peak_memory_bytes']):>12} | "
              f"{fmt_bytes(pl['peak_memory_bytes']):>12} |")
        print(f"framework overhead: {100 * v['overhead_median']:+.1f}% "
              f"(median), {100 * v['overhead_min']:+.1f}% (min); target "
              f"<= 5%.  First-iteration losses differ by at most "
              f"{v['first_iter_max_abs_loss_diff']:.2e}.")
        print(f"peak memory: {fw['peak_memory_kind']}")
    if res.get('data'):
        d = res['data']
        print(f"\ndata (real pipeline, toy images at native size, "
              f"{d['samples']} iterations): {d['seconds_per_iteration']:.3f}"
              f" s/iteration (1 source + 1 target), density maps "
              f"{d['density_shape']}")


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
    if args.variants:
        variants = args.variants
    elif args.device == 'cuda' and not (args.amp or args.channels_last):
        variants = ['fp32', 'amp', 'channels_last']
    else:
        variants = [('amp' if args.amp else '') +
                    ('_channels_last' if args.channels_last else '')]
        variants = [{'': 'fp32', '_channels_last': 'channels_last'}.get(
            variants[0], variants[0])]
    if any('amp' in v for v in variants) and args.device != 'cuda':
        raise SystemExit('--amp (bf16 AmpOptimWrapper) needs --device cuda')
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True
    results = []
    for v in variants:
        results.append(run_variant(cfg_path, size, args, amp='amp' in v,
                                   channels_last='channels_last' in v))
    res = dict(machine=machine_info(), variants=results,
               process_peak_rss_bytes=resource.getrusage(
                   resource.RUSAGE_SELF).ru_maxrss * 1024)
    res['data'] = data_row(cfg_path, size, args.data_samples)
    atomic_write_json(args.out, res)
    print(f"machine: {res['machine']['cpu']}, {res['machine']['cpu_count']} "
          f"cores, torch threads {res['machine']['torch_threads']}")
    print_table(res)
    print(f'wrote {args.out}')
    return res


if __name__ == '__main__':
    main()
