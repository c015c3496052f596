"""The demo study: data, prior, seeds in parallel, summary (docs/demo.md).

``tools/run_demo.py`` is a command line over :func:`main`. The toy data
(:mod:`.data`) and the GMM prior (:mod:`.prior`) are made once; each
training seed (:class:`~.protocol.SeedRun`) runs in its own single-threaded
process, ``--jobs`` at a time. A seed's results are written to
``<out>/seed<N>.json`` as soon as it finishes, and a later run with the same
design, data and code reuses them; the summary (:mod:`.summary`) prints the
mean ± std of every row over the seeds, the paired differences with 95 %
t intervals, the discriminator's accuracy, the mechanism check and the times.
"""
import argparse
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from dataclasses import asdict, replace
from typing import Dict, List, Optional

from .data import DemoDataSpec
from .model import ABLATION_ARMS, ARMS
from .design import Design, design_overrides
from .summary import summarise

#: The pre-registered design (docs/demo.md "Design"), fixed on the pilot
#: seeds 100-103 before any evaluation seed was run.
DESIGN = Design()
DATA = DemoDataSpec()
#: Training seeds of ``make demo`` and of the study (``make demo-seeds``).
DEMO_SEEDS = (0, 1, 2)
STUDY_SEEDS = (0, 1, 2, 3, 4, 5, 6, 7)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='DDA on toy data: source only, entropy-only '
        'adversarial, DDA and self-training over several training seeds')
    p.add_argument('--out', default='demo_output',
                   help='folder for per-seed results and the summary')
    p.add_argument('--seeds', type=int, nargs='+', default=list(DEMO_SEEDS),
                   help='training seeds (the toy data is the same for all)')
    p.add_argument('--study', action='store_true',
                   help=f'the seed study: seeds {list(STUDY_SEEDS)} unless '
                   '--seeds is given, and the ablation arm '
                   f'{ABLATION_ARMS[0]} (DDA with the reference target-'
                   'density weight) and the target-label oracle')
    p.add_argument('--oracle', action='store_true',
                   help='also train the target-label oracle (on with '
                   '--study)')
    p.add_argument('--jobs', type=int, default=2,
                   help='seeds trained at once (one thread each)')
    p.add_argument('--amp', choices=['auto', 'fp32', 'bf16'], default='auto',
                   help='bf16: the fast mode (bf16 autocast); auto: bf16 '
                   'where the CPU has bf16 matrix units, fp32 elsewhere')
    p.add_argument('--iters-scale', type=float, default=1.0,
                   help='scale every iteration count (a quick smoke run: '
                   'e.g. 0.05; the printed numbers are then not the '
                   'documented ones)')
    p.add_argument('--design', nargs='+', default=[], metavar='KEY=VALUE',
                   help='change knobs of the pre-registered design, e.g. '
                   'adv_weight=0.01 disc_channels=16,32,32,32 '
                   'channels_last=false (fields of mmseg_dda.demo.design.'
                   'Design; bf16 is --amp); a run that changes more than '
                   'the rounding is not compared with docs/demo_expected.md')
    args = p.parse_args(argv)
    if args.study and args.seeds == list(DEMO_SEEDS):
        args.seeds = list(STUDY_SEEDS)
    args.arms = ARMS + (ABLATION_ARMS if args.study else ())
    args.oracle = args.oracle or args.study
    if len(set(args.seeds)) != len(args.seeds):
        p.error(f'--seeds must be distinct, got {args.seeds}')
    if args.jobs < 1:
        p.error(f'--jobs must be >= 1, got {args.jobs}')
    if not 0 < args.iters_scale <= 1:
        p.error(f'--iters-scale must be in (0, 1], got {args.iters_scale}')
    try:
        args.design = design_overrides(args.design)
        scaled_design(args.iters_scale, False, args.design)  # validates it
    except ValueError as e:
        p.error(str(e))
    if args.amp == 'auto':
        from ..engine import cpu_has_bf16_units
        args.amp = 'bf16' if cpu_has_bf16_units() else 'fp32'
    return args


def scaled_design(scale: float, bf16: bool,
                  overrides: Optional[Dict[str, object]] = None) -> Design:
    """The design with ``overrides``, iteration counts times ``scale``."""
    d = replace(DESIGN, **(overrides or {}))
    if scale != 1.0:
        def s(n):
            return max(2, int(round(n * scale)))
        d = replace(d, pretrain_iters=s(d.pretrain_iters), iters=s(d.iters),
                    pretrain_warmup=int(round(d.pretrain_warmup * scale)),
                    disc_warmup=max(1, int(round(d.disc_warmup * scale))),
                    selftrain_iters=s(d.selftrain_iters))
    return replace(d, bf16=bf16)


#: The shared inputs of a worker process (set by :func:`init_worker`).
WORKER = {}


def init_worker(data, gmm, design) -> None:
    """Each worker process of a demo pool (the seeds' jobs here, and
    ``tools/analysis/demo_rounding.py``): one thread, quiet logs, the shared
    inputs in :data:`WORKER`."""
    import logging

    import torch
    torch.set_num_threads(1)
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    WORKER.update(data=data, gmm=gmm, design=design)


def _job(kind: str, seed: int, arg=None) -> dict:
    """One job of a seed (see :class:`~.protocol.SeedRun`)."""
    from .protocol import SeedRun
    run = SeedRun(WORKER['data'], WORKER['gmm'], WORKER['design'], seed,
                  log=lambda m: print(f'[demo] {m}', flush=True))
    if kind == 'pretrain':
        return run.pretrain_job()
    if kind == 'arm':
        return run.arm_job(*arg)
    if kind == 'selftrain':
        return run.selftrain_job(arg)
    return run.oracle_job(arg)


def run_seeds(data, gmm, design, seeds, jobs: int, arms=ARMS,
              oracle: bool = True) -> Dict[int, dict]:
    """Every job of every seed on ``jobs`` processes: pre-training first,
    then the ``arms`` (and the ``oracle``) of a pre-trained seed,
    self-training after its DDA arm. Returns the merged results per seed."""
    from concurrent.futures import (FIRST_COMPLETED, ProcessPoolExecutor,
                                    wait)
    from .protocol import merge
    num_jobs = 1 + len(arms) + 1 + int(oracle)  # per seed
    parts = {s: [] for s in seeds}
    ctx = mp.get_context('spawn')
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=init_worker,
                             initargs=(data, gmm, design)) as pool:
        pending = {pool.submit(_job, 'pretrain', s): ('pretrain', s)
                   for s in seeds}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                kind, seed = pending.pop(fut)
                res = fut.result()
                state = res.pop('state', None)
                parts[seed].append(res)
                if kind == 'pretrain':
                    # DDA first: self-training waits for it.
                    for arm in sorted(arms, key=lambda a: a != 'dda'):
                        pending[pool.submit(_job, 'arm', seed, (
                            arm, state))] = ('arm', seed)
                    if oracle:
                        pending[pool.submit(_job, 'oracle', seed,
                                            state)] = ('oracle', seed)
                elif kind == 'arm' and state is not None:
                    pending[pool.submit(_job, 'selftrain', seed,
                                        state)] = ('selftrain', seed)
                if len(parts[seed]) == num_jobs:
                    print(f'[demo] seed {seed} done', flush=True)
    return {s: merge(parts[s]) for s in seeds}


def run(args) -> Dict[int, dict]:
    from ..utils.numeric_platform import numeric_platform
    from .data import make_demo_data
    from .prior import fit_demo_prior
    start = time.time()
    design = scaled_design(args.iters_scale, args.amp == 'bf16',
                           args.design)
    claim_out(args.out, args.seeds)
    # As stored (JSON turns tuples into lists).
    key = json.loads(json.dumps(dict(
        design=asdict(design), data=asdict(DATA), code=code_hash(),
        platform=numeric_platform(), arms=args.arms, oracle=args.oracle)))
    print(f'[demo] precision {args.amp}; platform {key["platform"]}; '
          f'seeds {args.seeds}, {args.jobs} processes', flush=True)
    if args.design:
        print(f'[demo] design changed: {args.design}', flush=True)
    t = time.time()
    data = make_demo_data(DATA)
    gmm = fit_demo_prior(data['source'])
    print(f'[demo] toy data and GMM prior: {time.time() - t:.1f} s',
          flush=True)
    results, todo = {}, []
    for seed in args.seeds:
        path = osp.join(args.out, f'seed{seed}.json')
        old = _load(path)
        if old is not None and old.get('key') == key:
            print(f'[demo] seed {seed}: reused {path}', flush=True)
            results[seed] = old
        else:
            todo.append(seed)
    if todo:
        for seed, res in run_seeds(data, gmm, design, todo,
                                   min(args.jobs, 3 * len(todo)),
                                   args.arms, args.oracle).items():
            res['key'] = key
            path = osp.join(args.out, f'seed{seed}.json')
            with open(path + '.tmp', 'w') as f:
                json.dump(res, f, indent=1)
            os.replace(path + '.tmp', path)
            results[seed] = res
    results = {s: results[s] for s in args.seeds}
    text = summarise(results, args, time.time() - start)
    print(text)
    with open(osp.join(args.out, 'summary.md'), 'w') as f:
        f.write(text + '\n')
    print(f'\nSummary: {args.out}/summary.md; per seed: '
          f'{args.out}/seed<N>.json')
    return results


def claim_out(out: str, seeds) -> None:
    """One demo per ``--out``, never over files it did not make
    (:mod:`mmseg_dda.utils.output_policy`): the per-seed results and the
    summary are the demo's own; they are reused only under the same key."""
    from ..utils.output_policy import OutputPolicyError, claim_output_folder
    names = ['summary.md'] + [f'seed{s}.json' for s in seeds]
    try:
        claim_output_folder(out, 'demo', names, compare_inputs=False,
                            log=lambda m: print(f'[demo] {m}', flush=True))
    except OutputPolicyError as e:
        raise SystemExit(f'[demo] {e}') from e


def _load(path: str) -> Optional[dict]:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


#: Code whose changes change the demo's numbers.
CODE_DIRS = ('mmseg_dda', 'configs')


def code_hash() -> str:
    """SHA-256 over the ``.py`` files of :data:`CODE_DIRS` (path + bytes)."""
    import glob
    import hashlib
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    digest = hashlib.sha256()
    for sub in CODE_DIRS:
        for path in sorted(glob.glob(osp.join(root, sub, '**', '*.py'),
                                     recursive=True)):
            digest.update(osp.relpath(path, root).encode() + b'\0')
            with open(path, 'rb') as f:
                digest.update(f.read() + b'\0')
    return digest.hexdigest()[:16]


def main(argv: Optional[List[str]] = None) -> Dict[int, dict]:
    return run(parse_args(argv))
