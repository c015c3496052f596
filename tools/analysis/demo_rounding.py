"""How a change of rounding moves a demo seed's source model on the target.

Usage::

    python tools/analysis/demo_rounding.py [--seeds 100 101 102 103]
        [--every 20] [--last 100] [--ema-decay 0.99] [--jobs 2]

For each training seed, the demo's source pre-training (docs/demo.md
"Protocol", step 1; fp32) runs twice, channels-last and NCHW: the same
design, data order and weights, only the convolutions round differently.
Each run is evaluated on the toy target val images every ``--every`` of the
last ``--last`` iterations, and at the end also on the held-out source
images; an exponential moving average of its weights and BN statistics
(``--ema-decay``, from the middle of the pre-training) is evaluated too.
The table shows whether a seed's two roundings end apart on the target
for the whole end of the training (its path differs) or only at the last
iteration (noise that averaging the weights would remove); docs/demo.md
"Tolerance across CPUs and precisions" reports it for the pilot seeds.
"""
import argparse
import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Dict, List, Optional

import numpy as np

from mmseg_dda.demo.stats import mean_std


def trajectory(data, gmm, design, seed: int, every: int, last: int,
               ema_decay: float) -> Dict[str, object]:
    """One pre-training: target mIoU along its end (``{iteration: mIoU}``),
    and target and held-out source mIoU of its last and averaged weights."""
    import torch

    from mmseg_dda.demo.protocol import SeedRun, evaluate

    def target(model):
        return evaluate(model, data['val']['img'], data['val']['label'])[
            'mIoU']

    def source(model):
        sval = data['source_val']
        return evaluate(model, sval['img'], sval['label'])['mIoU']

    run = SeedRun(data, gmm, design, seed, log=lambda msg: None)
    total, ema_start = design.pretrain_iters, design.pretrain_iters // 2
    along, ema = {}, {}

    @torch.no_grad()
    def after_iter(it, model):
        done = it + 1
        state = model.segmentor.state_dict()
        if done == ema_start:
            ema.update({k: v.detach().clone() for k, v in state.items()})
        elif done > ema_start:
            for k, v in state.items():
                if v.is_floating_point():
                    ema[k].mul_(ema_decay).add_(v, alpha=1 - ema_decay)
                else:
                    ema[k].copy_(v)
        if done >= total - last and done % every == 0:
            along[done] = target(model)
            model.train()

    model = run.pretrain(after_iter)
    out = dict(along=along, target=target(model), source=source(model))
    model.segmentor.load_state_dict(ema)
    out.update(ema_target=target(model), ema_source=source(model))
    return out


def _job(seed, channels_last, every, last, ema_decay):
    from mmseg_dda.demo.runner import WORKER
    design = replace(WORKER['design'], channels_last=channels_last)
    res = trajectory(WORKER['data'], WORKER['gmm'], design, seed, every,
                     last, ema_decay)
    print(f'[rounding] seed {seed} '
          f'{"channels-last" if channels_last else "NCHW"}: target '
          f'{res["target"]:.2f}, averaged {res["ema_target"]:.2f}',
          flush=True)
    return res


def report(results: Dict[tuple, dict], seeds: List[int]) -> str:
    """The table of ``{(seed, channels_last): trajectory(...)}``."""
    marks = sorted(next(iter(results.values()))['along'])
    lines = ['| seed | format | target mIoU at ' + ' / '.join(
        map(str, marks)) + ' | sd along | last | averaged | held-out '
        'source (last / averaged) |', '|---|---|---|---|---|---|---|']
    moves = dict(last=[], averaged=[], along=[])
    for seed in seeds:
        a, b = results[(seed, True)], results[(seed, False)]
        for name, r in (('channels-last', a), ('NCHW', b)):
            vals = [r['along'][m] for m in marks]
            moves['along'].append(mean_std(vals)[1])
            lines.append(
                f'| {seed} | {name} | ' + ' '.join(f'{v:.1f}' for v in vals) +
                f" | {moves['along'][-1]:.2f} | "
                f'{r["target"]:.2f} | {r["ema_target"]:.2f} | '
                f'{r["source"]:.1f} / {r["ema_source"]:.1f} |')
        moves['last'].append(abs(a['target'] - b['target']))
        moves['averaged'].append(abs(a['ema_target'] - b['ema_target']))
    lines += ['', f"Mean |channels-last − NCHW| on the target: last weights "
              f"{np.mean(moves['last']):.2f}, averaged weights "
              f"{np.mean(moves['averaged']):.2f}; mean sd along the last "
              f"{marks[-1] - marks[0]} iterations of one run "
              f"{np.mean(moves['along']):.2f}."]
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[100, 101, 102,
                                                             103])
    p.add_argument('--every', type=int, default=20,
                   help='evaluate on the target every N iterations ...')
    p.add_argument('--last', type=int, default=100,
                   help='... of the last N iterations')
    p.add_argument('--ema-decay', type=float, default=0.99)
    p.add_argument('--jobs', type=int, default=2,
                   help='runs at once (one thread each)')
    args = p.parse_args(argv)
    if min(args.every, args.last, args.jobs) < 1 or args.every > args.last:
        p.error('--every, --last and --jobs must be >= 1, --every <= --last')
    if not 0 < args.ema_decay < 1:
        p.error(f'--ema-decay must be in (0, 1), got {args.ema_decay}')
    return args


def main(argv: Optional[List[str]] = None) -> str:
    import mmseg_dda  # noqa: F401  (registers the project's modules)
    from mmseg_dda.demo.data import make_demo_data
    from mmseg_dda.demo.prior import fit_demo_prior
    from mmseg_dda.demo.runner import DATA, DESIGN, init_worker
    args = parse_args(argv)
    start = time.time()
    data = make_demo_data(DATA)
    gmm = fit_demo_prior(data['source'])
    runs = [(s, cl) for s in args.seeds for cl in (True, False)]
    print(f'[rounding] {len(runs)} pre-trainings on {args.jobs} processes',
          flush=True)
    with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context('spawn'),
                             initializer=init_worker,
                             initargs=(data, gmm, DESIGN)) as pool:
        futures = {run: pool.submit(_job, *run, args.every, args.last,
                                    args.ema_decay) for run in runs}
        results = {run: f.result() for run, f in futures.items()}
    text = report(results, args.seeds)
    print(text + f'\n\nTime: {time.time() - start:.0f} s wall.')
    return text


if __name__ == '__main__':
    main()
