"""One training seed of the demo study (docs/demo.md "Protocol").

1. Source pre-training through the DDA wrapper with the target losses off
   (segmentation, depth and density heads trained on the source).
2. From that checkpoint, every arm for the same iterations, optimiser, data
   order and precision: *source only* (target loss weights 0, same target
   forward passes, so the same BN exposure), *entropy* (AdvEnt: the
   discriminator sees the entropy map) and *DDA* (entropy times density).
   The first ``disc_warmup`` iterations of every arm train the
   discriminator only (generator adversarial weight 0).
3. Every arm is evaluated with its own BN statistics and with BN statistics
   re-estimated on the target-train images.
4. Self-training from DDA on its confident target predictions; optionally a
   target-label oracle from the pre-trained checkpoint.
"""
import copy
import time
from dataclasses import asdict
from typing import Callable, Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from ..apis.bn_recalibration import recalibrate_bn
from ..density.grid import feature_grid_size
from ..density.gmm import GMMDensity, GMMParams
from .data import NUM_CLASSES, class_weights
from .design import Design
from .mechanism import implausible_share, mechanism_check
from .model import (ARMS, arm_model_cfg, build_model, build_optim,
                    load_segmentor, segmentor_state, set_poly_lr)


def _bgr_tensor(img: np.ndarray) -> torch.Tensor:
    """RGB ``(H, W, 3)`` uint8 -> BGR ``(3, H, W)`` (the loaders' order)."""
    return torch.from_numpy(np.ascontiguousarray(img[..., ::-1].transpose(
        2, 0, 1)))


class DemoBatches:
    """Batches of the in-memory data, in an order fixed by the seed.

    Source samples carry ``gt_sem_seg``, ``gt_depth_map`` and the squashed
    source density maps ``gt_density_map`` (docs/method.md §3.4); a
    horizontal flip (seeded) is applied to image, label and depth before the
    maps are computed, so the maps stay those of the flipped layout.
    """

    def __init__(self, data: Dict[str, Dict[str, np.ndarray]],
                 density: GMMDensity, seed: int, batch: int) -> None:
        self.data = data
        self.density = density
        self.batch = batch
        self.rng = np.random.default_rng([seed, 11])
        h, w = data['source']['img'].shape[1:3]
        self.size = (h, w)
        self.grid = feature_grid_size((h, w))
        self._maps = {}

    def _maps_of(self, i: int, flip: bool) -> torch.Tensor:
        key = (i, flip)
        if key not in self._maps:
            src = self.data['source']
            lab, dep = src['label'][i], src['depth'][i]
            if flip:
                lab, dep = lab[:, ::-1], dep[:, ::-1]
            raw = self.density.source_density_maps(
                torch.from_numpy(lab.astype(np.int64)),
                torch.from_numpy(np.ascontiguousarray(dep)), self.grid)
            self._maps[key] = self.density.squash(raw)
        return self._maps[key]

    def _sample(self, split: str, i: int, flip: bool,
                with_maps: bool, label: Optional[np.ndarray] = None):
        d = self.data[split]
        img = d['img'][i][:, ::-1] if flip else d['img'][i]
        meta = dict(img_shape=self.size, pad_shape=self.size,
                    ori_shape=self.size)
        sample = SegDataSample(metainfo=meta)
        lab = d['label'][i] if label is None else label
        if lab is not None:
            lab = lab[:, ::-1] if flip else lab
            sample.gt_sem_seg = PixelData(data=torch.from_numpy(
                np.ascontiguousarray(lab).astype(np.int64))[None])
        if with_maps:
            dep = d['depth'][i][:, ::-1] if flip else d['depth'][i]
            sample.set_data(dict(gt_depth_map=PixelData(
                data=torch.from_numpy(np.ascontiguousarray(dep))[None])))
            sample.set_data(dict(gt_density_map=PixelData(
                data=self._maps_of(i, flip))))
        return _bgr_tensor(np.ascontiguousarray(img)), sample

    def next(self, pseudo: Optional[np.ndarray] = None) -> dict:
        """One DDA batch: source and target halves (``pseudo``: labels of
        the target-train images replace the target ones; returns the
        target half only, as a supervised batch)."""
        n_src, n_tgt = len(self.data['source']['img']), len(
            self.data['target']['img'])
        si = self.rng.integers(0, n_src, self.batch)
        ti = self.rng.integers(0, n_tgt, self.batch)
        sf = self.rng.random(self.batch) < 0.5
        tf = self.rng.random(self.batch) < 0.5
        if pseudo is not None:
            items = [self._sample('target', i, f, False, pseudo[i])
                     for i, f in zip(ti, tf)]
            return dict(inputs=[x for x, _ in items],
                        data_samples=[s for _, s in items])
        src = [self._sample('source', i, f, True) for i, f in zip(si, sf)]
        tgt = [self._sample('target', i, f, False) for i, f in zip(ti, tf)]
        return dict(inputs=[x for x, _ in src],
                    data_samples=[s for _, s in src],
                    target_inputs=[x for x, _ in tgt],
                    target_data_samples=[s for _, s in tgt])


@torch.no_grad()
def predict(model, images: np.ndarray, chunk: int = 10):
    """Logits, depth and density of ``images`` at the feature grid."""
    model.eval()
    out = dict(seg_logits=[], depth=[], density=[])
    for k in range(0, len(images), chunk):
        inputs = model.data_preprocessor(dict(inputs=[
            _bgr_tensor(im) for im in images[k:k + chunk]]), False)['inputs']
        heads = model.segmentor(model._to_memory_format(inputs),
                                mode='heads')
        for key in out:
            out[key].append(heads[key].float())
    return {k: torch.cat(v) for k, v in out.items()}


def confusion(logits: torch.Tensor, labels: np.ndarray) -> np.ndarray:
    """Confusion matrix of upsampled-argmax predictions (255 ignored)."""
    size = labels.shape[1:]
    pred = F.interpolate(logits, size=size, mode='bilinear',
                         align_corners=True).argmax(1).numpy()
    valid = labels != 255
    idx = labels[valid].astype(np.int64) * NUM_CLASSES + pred[valid]
    return np.bincount(idx, minlength=NUM_CLASSES**2).reshape(
        NUM_CLASSES, NUM_CLASSES)


def miou(conf: np.ndarray) -> Dict[str, object]:
    """mIoU and per-class IoU (percent) of a confusion matrix."""
    inter = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    return dict(mIoU=float(np.nanmean(iou) * 100),
                IoU=[float(v * 100) for v in iou],
                aAcc=float(inter.sum() / max(conf.sum(), 1) * 100))


def evaluate(model, images: np.ndarray, labels: np.ndarray,
             density: Optional[GMMDensity] = None,
             depths: Optional[np.ndarray] = None) -> dict:
    """mIoU on ``images``; with ``density`` and ``depths`` also the share
    of layout-implausible predictions (:func:`.mechanism.implausible_share`)
    from the same forward pass."""
    heads = predict(model, images)
    out = miou(confusion(heads['seg_logits'], labels))
    if density is not None:
        out['implausible'] = implausible_share(heads, density, depths)
    return out


def with_target_bn(model, images: np.ndarray, chunk: int = 10):
    """A copy of ``model`` with BN statistics re-estimated on ``images``."""
    model = copy.deepcopy(model)

    def batches():
        for k in range(0, len(images), chunk):
            yield model.data_preprocessor(dict(inputs=[
                _bgr_tensor(im) for im in images[k:k + chunk]]),
                False)['inputs']

    recalibrate_bn(model.segmentor, batches())
    return model


def pseudo_label_stats(pseudo: np.ndarray, labels: np.ndarray) -> dict:
    """How the pseudo-labels (255: ignored) compare with the true labels:
    ``share`` of the pixels kept, ``accuracy`` on them, and per class its
    share among the kept pixels (``class_share``) and among the labelled
    pixels (``label_share``): a class far rarer in the first than in the
    second is one that self-training unlearns."""
    kept = pseudo != 255
    n_kept = max(int(kept.sum()), 1)
    counts = np.bincount(pseudo[kept], minlength=NUM_CLASSES)[:NUM_CLASSES]
    labelled = np.bincount(labels[labels != 255].ravel(),
                           minlength=NUM_CLASSES)[:NUM_CLASSES]
    return dict(share=float(kept.mean()),
                accuracy=float((pseudo[kept] == labels[kept]).sum()) / n_kept,
                class_share=(counts / n_kept).tolist(),
                label_share=(labelled / max(labelled.sum(), 1)).tolist())


def _total(losses: Dict[str, torch.Tensor]) -> torch.Tensor:
    """Sum of the ``loss`` entries of a segmentor loss dict (MMSeg's
    ``decode.loss_ce``, ``depth.loss_...``; not the accuracies)."""
    terms = [v for k, v in losses.items() if 'loss' in k.split('.')[-1]]
    if not terms:
        raise ValueError(f'no loss terms in {sorted(losses)}')
    return sum(terms)


class SeedRun:
    """Runs every arm of one training seed.

    Args:
        data: :func:`~mmseg_dda.demo.data.make_demo_data` output.
        gmm: Fitted prior (with its squash scale).
        design: The pre-registered design.
        seed: Training seed (weights, data order, flips).
        log: Sink for progress lines.
    """

    def __init__(self, data, gmm: GMMParams, design: Design, seed: int,
                 log: Callable[[str], None] = print) -> None:
        self.data, self.gmm, self.design, self.seed = data, gmm, design, seed
        self.log = log
        self.density = GMMDensity(gmm, num_classes=NUM_CLASSES)
        self.class_weight = class_weights(data['source']['label'])
        self.timings = {}
        MessageHub.get_current_instance().update_info('iter', 0)

    def model(self, arm: str) -> torch.nn.Module:
        d = self.design
        adv = d.entropy_adv_weight if arm == 'entropy' else d.adv_weight
        return build_model(arm_model_cfg(
            arm, self.gmm, adv, d.disc_channels,
            channels_last=d.channels_last,
            class_weight=self.class_weight,
            density_tgt_weight=d.density_tgt_weight), self.seed)

    def _timed(self, name: str, fn, *args):
        start, cpu = time.time(), time.process_time()
        out = fn(*args)
        self.timings[name] = (time.time() - start,
                              time.process_time() - cpu)
        self.log(f'seed {self.seed}: {name} {self.timings[name][0]:.1f} s '
                 f'(CPU {self.timings[name][1]:.1f} s)')
        return out

    # -- training -------------------------------------------------------
    def pretrain(self, after_iter: Optional[Callable] = None):
        """Source pre-training; ``after_iter(it, model)`` is called after
        each iteration (a readout must leave the model in train mode and
        its weights untouched)."""
        d = self.design
        model = self.model('source_only')
        optim = build_optim(model, d.pretrain_lr, d.disc_lr, d.bf16,
                            seg_optimizer='adamw')
        batches = DemoBatches(self.data, self.density, self.seed, d.batch)
        model.train()
        for it in range(d.pretrain_iters):
            set_poly_lr(optim, it, d.pretrain_iters,
                        warmup=d.pretrain_warmup)
            model.train_source_step(batches.next(), optim['segmentor'])
            if after_iter is not None:
                after_iter(it, model)
        return model

    def arm(self, arm: str, init: dict, record: Optional[dict] = None):
        """Train one arm from the pre-trained segmentor ``init``."""
        d = self.design
        model = self.model(arm)
        load_segmentor(model, init)
        optim = build_optim(model, d.lr, d.disc_lr, d.bf16)
        # The same data order in every arm: the batches restart per arm.
        batches = DemoBatches(self.data, self.density, self.seed + 1000,
                              d.batch)
        adv = model.loss_weights['adv_tgt']
        disc_hits, disc_n = 0.0, 0
        model.train()
        for it in range(d.iters):
            set_poly_lr(optim, it, d.iters)
            model.loss_weights['adv_tgt'] = 0.0 if it < d.disc_warmup else adv
            log = model.train_step(batches.next(), optim)
            if it >= d.iters - 20:  # D accuracy over the last iterations
                ls, lt = float(log['disc.loss_src']), float(
                    log['disc.loss_tgt'])
                disc_hits += (np.exp(-ls) + np.exp(-lt)) / 2
                disc_n += 1
        model.loss_weights['adv_tgt'] = adv
        if record is not None:
            # exp(-BCE) is the geometric mean of the probability given to
            # the right domain; > 0.5 means better than chance.
            record['disc_prob_right'] = disc_hits / max(disc_n, 1)
        return model, optim

    def selftrain(self, model):
        """Self-training on the confident target predictions of ``model``."""
        d = self.design
        model = copy.deepcopy(model)
        heads = predict(model, self.data['target']['img'])
        size = self.data['target']['img'].shape[1:3]
        prob = F.interpolate(heads['seg_logits'], size=size, mode='bilinear',
                             align_corners=True).softmax(1)
        conf, pred = prob.max(1)
        pseudo = np.where(conf.numpy() >= d.selftrain_threshold,
                          pred.numpy(), 255).astype(np.uint8)
        self._train_on_target_labels(model, pseudo, d.selftrain_iters,
                                     self.seed + 2000)
        return model, pseudo_label_stats(pseudo,
                                         self.data['target']['label'])

    def oracle(self, init: dict):
        """From the pre-trained segmentor, trained on target labels."""
        model = self.model('source_only')
        load_segmentor(model, init)
        return self._train_on_target_labels(
            model, self.data['target']['label'], self.design.iters,
            self.seed + 3000)

    def _train_on_target_labels(self, model, labels: np.ndarray, iters: int,
                                data_seed: int):
        """The segmentor alone, SGD with poly decay over ``iters``, on the
        target-train images with ``labels`` (255 ignored)."""
        d = self.design
        seg = model.segmentor
        optim = build_optim(model, d.lr, d.disc_lr, d.bf16)
        batches = DemoBatches(self.data, self.density, data_seed, d.batch)
        model.train()
        for it in range(iters):
            set_poly_lr(optim, it, iters)
            data = seg.data_preprocessor(batches.next(labels), True)
            with optim['segmentor'].optim_context(seg):
                losses = seg.loss(data['inputs'], data['data_samples'])
            optim['segmentor'].update_params(_total(losses))
        return model

    # -- the whole seed -------------------------------------------------
    def _row(self, res: dict, key: str, model) -> None:
        val = self.data['val']
        res['rows'][key] = evaluate(model, val['img'], val['label'],
                                    self.density, val['depth'])
        self.log(f'seed {self.seed}: {key} mIoU '
                 f"{res['rows'][key]['mIoU']:.2f}")

    def _empty(self) -> dict:
        # timings: this run's dict, filled by _timed as the job goes.
        return dict(seed=self.seed, design=asdict(self.design), rows={},
                    extra={}, mechanism={}, timings=self.timings)

    # Jobs: independent pieces of a seed (the runner schedules them over
    # processes; their results do not depend on where or when they run).
    def pretrain_job(self) -> dict:
        """Pre-training and its rows; ``state``: the checkpoint."""
        res = self._empty()
        pre = self._timed('pre-training', self.pretrain)
        self._row(res, 'pretrain', pre)
        sval = self.data['source_val']
        res['extra']['pretrain_source_val'] = evaluate(
            pre, sval['img'], sval['label'])
        self.log(f'seed {self.seed}: pre-training on held-out source: mIoU '
                 f"{res['extra']['pretrain_source_val']['mIoU']:.2f}")
        res['state'] = segmentor_state(pre)
        return res

    def arm_job(self, arm: str, init: dict) -> dict:
        """One arm from ``init``: own-BN and target-BN rows, discriminator
        accuracy, implausible shares, mechanism check (adversarial arms);
        ``state``: the DDA arm's weights (for self-training)."""
        res = self._empty()
        rec = {}
        model, _ = self._timed(arm, self.arm, arm, init, rec)
        self._row(res, arm, model)
        tgt = self.data['target']
        bn = with_target_bn(model, tgt['img'])
        self._row(res, arm + '_bn', bn)
        res['extra'][arm] = dict(
            rec, implausible=res['rows'][arm]['implausible'],
            implausible_bn=res['rows'][arm + '_bn']['implausible'])
        if arm != 'source_only':
            probe = model.data_preprocessor(dict(
                inputs=[_bgr_tensor(im) for im in tgt['img'][:8]]),
                False)['inputs']
            res['mechanism'][arm] = mechanism_check(model, probe)
        self.log(f'seed {self.seed}: {arm} {res["extra"][arm]} '
                 f'{res["mechanism"].get(arm, "")}')
        if arm == 'dda':
            res['state'] = segmentor_state(model)
        return res

    def selftrain_job(self, dda_state: dict) -> dict:
        res = self._empty()
        model = self.model('dda')
        load_segmentor(model, dda_state)
        st, stats = self._timed('self-training', self.selftrain, model)
        self._row(res, 'selftrain', st)
        res['extra']['pseudo_labels'] = stats
        return res

    def oracle_job(self, init: dict) -> dict:
        res = self._empty()
        self._row(res, 'oracle', self._timed('oracle', self.oracle, init))
        return res

    def run(self, with_oracle: bool = False, with_selftrain: bool = True,
            arms=ARMS) -> dict:
        """Every job of the seed in this process, merged (``arms``: those
        of :data:`~.model.ARMS` and :data:`~.model.ABLATION_ARMS` to train;
        self-training needs ``dda``)."""
        parts = [self.pretrain_job()]
        init = parts[0].pop('state')
        dda_state = None
        for arm in arms:
            parts.append(self.arm_job(arm, init))
            dda_state = parts[-1].pop('state', dda_state)
        if with_selftrain:
            parts.append(self.selftrain_job(dda_state))
        if with_oracle:
            parts.append(self.oracle_job(init))
        return merge(parts)


def merge(parts) -> dict:
    """Merge job results of one seed (``rows``, ``extra``, ``mechanism``
    and ``timings`` are unions; ``state`` entries are dropped)."""
    out = None
    for part in parts:
        part = {k: v for k, v in part.items() if k != 'state'}
        if out is None:
            out = copy.deepcopy(part)
            continue
        for key in ('rows', 'extra', 'mechanism', 'timings'):
            out[key].update(part[key])
    return out
