"""The README's main job: the whole DDA pipeline on generated toy data.

Runs every step through the same command-line tools a user runs on the real
datasets, on the synthetic street scenes of ``tools/make_toy_data.py``. The
toy source is rendered from the target's car-mounted camera, so the two
domains share the street geometry and depth layout and differ in appearance
(colour, texture, lighting, haze, noise): the case the depth-distribution
prior is for.

Once: generate the toy trees, fit the per-class GMM prior on the source
(``tools/fit_gmm.py``), write the source density maps (STEP 1). Then per seed:

1. pre-train the segmentor on the source (``--pretrain-iters``);
2. from that checkpoint, train two arms for ``--iters`` iterations each, with
   the same optimiser and schedule: *source only* continues on the source;
   *DDA* adds the target adversarial and density losses (STEP 2);
   A control arm, *source only + target BN statistics*, re-estimates the
   source-only model's BN statistics on the target-train images
   (``tools/recalibrate_bn.py``, no training): DDA's target forward passes
   move its BN statistics too, and this separates that effect from the
   adaptation losses';
3. pseudo-labels from the DDA model (STEP 3), self-training on them
   (``--selftrain-iters``, STEP 4);
4. evaluate the four last checkpoints on the toy Cityscapes val images
   (STEP 5; the validation pass at the end of each training, i.e. what
   ``tools/test.py`` prints for that checkpoint).

The console shows one line per step (with its time); each step's full output
goes to ``<out>/logs/``. Every subprocess runs with a fixed thread count,
``torch.use_deterministic_algorithms`` (MMEngine ``randomness.deterministic``)
and seeded data-loader workers, so a run prints the same table on every run
on the same kind of CPU.
Training runs in the fast mode (``tools/train.py --amp bf16``) on a CPU with
bf16 matrix units and in fp32 elsewhere (``--amp`` picks one). With the
default sizes the seed-0 table is compared with the table of that precision
and numeric platform (:mod:`mmseg_dda.utils.numeric_platform`: the numbers
depend on the CPU's kernels) in ``docs/demo_expected.md``. With several
``--seeds`` the gains DDA - source only and self-training - DDA are reported
as mean ± std.

Each step is skipped when its output exists, so an interrupted demo resumes
where it stopped. ``<out>/demo_run.json`` records the sizes, the numeric
platform and a hash of the code; a later run with other sizes, on another
kind of CPU or with other code refuses to reuse the folder
(``make clean-demo`` starts afresh), since reused outputs of an older version
print a table that the current code does not produce.
"""
import argparse
import glob
import hashlib
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'pretrain': 'configs/demo/toy_syn2city_source_only.py',
    'source_only': 'configs/demo/toy_syn2city_source_only.py',
    'source_only_bn': 'configs/demo/toy_syn2city_source_only.py',
    'dda': 'configs/demo/toy_syn2city_dda.py',
    'selftrain': 'configs/demo/toy_syn2city_selftrain.py',
}
NAMES = {
    'pretrain': 'source pre-training',
    'source_only': 'source only',
    'source_only_bn': 'source only + target BN statistics',
    'dda': 'DDA (stage 1)',
    'selftrain': 'DDA + self-training',
}
EXPECTED = 'docs/demo_expected.md'
PRECISIONS = dict(bf16='fast mode (bf16)', fp32='fp32')
#: Arguments the expected table was measured with.
DEFAULTS = dict(num_source=100, num_target=60, num_val=20, pretrain_iters=300,
                iters=150, selftrain_iters=100, threads=1, lr=0.01,
                adapt_lr=0.005)
#: Thread settings of every step: reductions split over a different number
#: of threads round differently, so the count is part of the result. One
#: thread by default: any machine has it, and it is the fastest on a busy
#: 2-core machine (two spinning OpenMP threads per process slowed a training
#: iteration 10-30x there while other processes ran).
PINNED_ENV = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Run the DDA pipeline on generated toy data')
    parser.add_argument('--out', default='demo_output',
                        help='folder for data, work dirs, logs and results')
    d = DEFAULTS
    parser.add_argument('--num-source', type=int, default=d['num_source'])
    parser.add_argument('--num-target', type=int, default=d['num_target'])
    parser.add_argument('--num-val', type=int, default=d['num_val'])
    parser.add_argument('--pretrain-iters', type=int,
                        default=d['pretrain_iters'],
                        help='source pre-training both arms start from')
    parser.add_argument('--iters', type=int, default=d['iters'],
                        help='iterations of each arm (source only, DDA)')
    parser.add_argument('--selftrain-iters', type=int,
                        default=d['selftrain_iters'])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='training seeds (the toy data always uses '
                        'seed 0); several seeds add a mean ± std table')
    parser.add_argument('--threads', type=int, default=d['threads'],
                        help='torch threads of every step (pinned: the '
                        'numbers depend on it)')
    parser.add_argument('--amp', choices=['auto', 'fp32', 'bf16'],
                        default='auto',
                        help='precision of every training step: bf16 is the '
                        'fast mode (tools/train.py --amp bf16: bf16 autocast '
                        '+ channels-last); auto: bf16 where the CPU has bf16 '
                        'matrix units (AVX512-BF16 or AMX), fp32 elsewhere')
    parser.add_argument('--jobs', type=int, default=2,
                        help='independent steps run at once (the source-only '
                        'and the DDA arm of a seed); the numbers do not '
                        'depend on it')
    args = parser.parse_args(argv)
    for name in ('num_source', 'num_target', 'num_val', 'pretrain_iters',
                 'iters', 'selftrain_iters', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{getattr(args, name)}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds must be distinct, got {args.seeds}')
    args.lr, args.adapt_lr = d['lr'], d['adapt_lr']
    if args.amp == 'auto':
        args.amp = 'bf16' if bf16_units() else 'fp32'
    return args


def bf16_units() -> bool:
    """Whether this CPU runs the fast mode faster than fp32."""
    from mmseg_dda.engine import cpu_has_bf16_units
    return cpu_has_bf16_units()


def pinned_env(threads: int, base: Optional[dict] = None) -> dict:
    """Environment of every step: fixed thread counts and hash seed."""
    env = dict(os.environ if base is None else base)
    for key in PINNED_ENV:
        env[key] = str(threads)
    env['PYTHONHASHSEED'] = '0'
    # Idle OpenMP threads sleep instead of spinning (no effect on results).
    env['OMP_WAIT_POLICY'] = 'PASSIVE'
    return env


#: Code whose changes change the demo's numbers.
CODE_DIRS = ('mmseg_dda', 'tools', 'configs')


def code_hash(root: str = ROOT) -> str:
    """SHA-256 over the ``.py`` files of :data:`CODE_DIRS` (path + bytes)."""
    digest = hashlib.sha256()
    for sub in CODE_DIRS:
        files = sorted(glob.glob(osp.join(root, sub, '**', '*.py'),
                                 recursive=True))
        for path in files:
            digest.update(osp.relpath(path, root).encode() + b'\0')
            with open(path, 'rb') as f:
                digest.update(f.read() + b'\0')
    return digest.hexdigest()[:16]


def run_record(args, code: str) -> dict:
    """What the outputs in ``--out`` depend on (not the seeds: one folder
    per seed), the numeric platform included: a folder copied from another
    kind of CPU holds other numbers."""
    from mmseg_dda.utils.numeric_platform import numeric_platform
    rec = {k: getattr(args, k) for k in DEFAULTS}
    rec.update(amp=args.amp, platform=numeric_platform(), code=code)
    return rec


def check_reuse(path: str, record: dict) -> None:
    """Refuse an output folder written with other sizes or other code."""
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        diff = sorted(k for k in set(old) | set(record)
                      if old.get(k) != record.get(k))
        if diff:
            what = 'code' if diff == ['code'] else 'settings'
            changes = ', '.join(f'{k}: {old.get(k)} -> {record.get(k)}'
                                for k in diff)
            raise SystemExit(
                f'[demo] {osp.dirname(path) or "."} holds the outputs of a '
                f'run with other {what} ({changes}); finished steps would be '
                'reused and the table would not be what this code prints. '
                'Run `make clean-demo` (or pass another --out).')
    else:
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        with open(path, 'w') as f:
            json.dump(record, f, indent=1)


def uses_defaults(args) -> bool:
    """Whether the run's sizes are those of ``docs/demo_expected.md``."""
    return all(getattr(args, k) == v for k, v in DEFAULTS.items())


class Demo:
    """Runs the pipeline steps as subprocesses and records their times."""

    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.data = osp.join(args.out, 'data')
        self.logs = osp.join(args.out, 'logs')
        self.gmm = osp.join(args.out, 'gmm_toy.json')
        self.env = pinned_env(args.threads)
        self.timings = []
        self.ckpts = {}

    # -- running --------------------------------------------------------
    def step(self, label: str, cmd: List[str], done: Optional[str] = None,
             module: bool = False) -> None:
        """Run ``python cmd`` with its output in ``<out>/logs/<label>.log``."""
        log = osp.join(self.logs, label.replace(' ', '_') + '.log')
        if done and osp.exists(done):
            print(f'[demo] {label:<28} done already ({done})', flush=True)
            return
        os.makedirs(self.logs, exist_ok=True)
        start = time.time()
        with open(log, 'w') as f:
            f.write('$ python ' + ' '.join(cmd) + '\n')
            f.flush()
            proc = subprocess.Popen(
                [sys.executable] + (['-m'] if module else []) + cmd,
                cwd=ROOT, env=self.env, stdout=f, stderr=subprocess.STDOUT)
            # This child's own CPU time (other steps may run meanwhile).
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        sec, cpu = time.time() - start, usage.ru_utime + usage.ru_stime
        if proc.returncode != 0:
            with open(log) as f:
                tail = f.readlines()[-25:]
            sys.stdout.write(''.join(tail))
            raise SystemExit(f'[demo] {label} failed (exit code '
                             f'{proc.returncode}); full log: {log}')
        self.timings.append((label, sec, cpu))
        print(f'[demo] {label:<28} {sec:6.1f} s (CPU {cpu:6.1f} s)   log: '
              f'{log}', flush=True)

    def paths(self, seed: int) -> dict:
        work = osp.join(self.out, f'seed{seed}')
        return dict(work=work, pseudo=osp.join(work, 'dda', 'pseudo_labels'))

    def data_options(self, name: str, seed: int,
                     evaluate: bool = True) -> List[str]:
        """``--cfg-options`` pointing a demo config at ``--out``."""
        syn, city = f'{self.data}/synthia', f'{self.data}/cityscapes'
        opts = [f'val_dataloader.dataset.data_root={city}',
                f'test_dataloader.dataset.data_root={city}'] if evaluate \
            else []
        if name in ('pretrain', 'source_only'):
            opts.append(f'train_dataloader.dataset.data_root={syn}')
        elif name == 'dda':
            opts += [f'train_dataloader.dataset.source.data_root={syn}',
                     f'train_dataloader.dataset.target.data_root={city}',
                     f'model.density.params={self.gmm}']
        else:
            opts += [f'train_dataloader.dataset.data_root={city}',
                     f'train_dataloader.dataset.pseudo_label_dir='
                     f'{self.paths(seed)["pseudo"]}']
        return opts

    def train(self, name: str, seed: int, iters: int, lr: float,
              init: Sequence[str] = ()) -> tuple:
        """Train ``name`` and evaluate its last checkpoint on the val set.

        The evaluation is MMEngine's validation pass at the last iteration,
        with the test dataloader and metric of the config: the numbers
        ``tools/test.py CONFIG CHECKPOINT`` prints, without starting another
        process per model. Returns ``(checkpoint, metrics)``.
        """
        work_dir = osp.join(self.paths(seed)['work'], name)
        ckpt = osp.join(work_dir, f'iter_{iters}.pth')
        lr_key = ('optim_wrapper.segmentor.optimizer.lr' if name == 'dda'
                  else 'optim_wrapper.optimizer.lr')
        opts = [
            f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'param_scheduler.0.end={iters + 1}',
            f'default_hooks.checkpoint.interval={iters}', f'{lr_key}={lr}',
            f'randomness.seed={seed}', 'randomness.deterministic=True',
        ]
        amp = ['--amp', 'bf16'] if self.args.amp == 'bf16' else []
        self.step(f'seed{seed} train {name}', [
            'tools/train.py', CONFIGS[name], '--work-dir', work_dir, *amp,
            '--cfg-options'
        ] + opts + self.data_options(name, seed) + list(init), ckpt)
        return ckpt, latest_metrics(work_dir)

    def prepare(self) -> None:
        a = self.args
        self.step('make toy data', [
            'tools/make_toy_data.py', '--out', self.data, '--num-source',
            str(a.num_source), '--num-target', str(a.num_target),
            '--num-val', str(a.num_val), '--seed', '0', '--source-view', 'car'
        ], osp.join(self.data, 'mapillary'))
        grid = demo_feature_grid()
        syn_opt = [f'train_dataloader.dataset.source.data_root='
                   f'{self.data}/synthia']
        self.step('fit GMM prior', [
            'tools/fit_gmm.py', CONFIGS['dda'], '--out', self.gmm, '--grid',
            str(grid[0]), str(grid[1]), '--cfg-options'
        ] + syn_opt, self.gmm)
        self.step('STEP 1 density maps', [
            'tools/gen_density_maps.py', CONFIGS['dda'], '--gmm', self.gmm,
            '--workers', '2', '--cfg-options'
        ] + syn_opt)

    def run_seed(self, seed: int) -> Dict[str, dict]:
        a = self.args
        ckpts, metrics = {}, {}
        ckpts['pretrain'], metrics['pretrain'] = self.train(
            'pretrain', seed, a.pretrain_iters, a.lr)
        pre = ckpts['pretrain']

        def source_arm():
            ckpts['source_only'], metrics['source_only'] = self.train(
                'source_only', seed, a.iters, a.adapt_lr,
                init_from(pre, 'model'))
            metrics['source_only_bn'] = self.target_bn(
                seed, ckpts['source_only'])

        def dda_arm():
            ckpts['dda'], metrics['dda'] = self.train(
                'dda', seed, a.iters, a.adapt_lr,
                init_from(pre, 'model.segmentor'))
            # Only the self-training needs the pseudo-labels.
            selftrain_ckpt = osp.join(self.paths(seed)['work'], 'selftrain',
                                      f'iter_{a.selftrain_iters}.pth')
            self.step(f'seed{seed} STEP 3 pseudo-labels', [
                'tools/gen_pseudo_labels.py', CONFIGS['dda'], ckpts['dda'],
                '--out', self.paths(seed)['pseudo'], '--cfg-options'
            ] + self.data_options('dda', seed), selftrain_ckpt)
            ckpts['selftrain'], metrics['selftrain'] = self.train(
                'selftrain', seed, a.selftrain_iters, a.adapt_lr,
                [f"load_from={ckpts['dda']}"])

        # The arms share nothing but the pre-trained checkpoint, and every
        # step is its own single-threaded process: running them at once
        # changes the wall time, not the numbers.
        with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            for arm in [pool.submit(dda_arm), pool.submit(source_arm)]:
                arm.result()
        self.ckpts[seed] = ckpts
        return {k: metrics[k] for k in NAMES}

    def target_bn(self, seed: int, ckpt: str) -> dict:
        """Control arm: the source-only model with its BN statistics
        re-estimated on the target-train images (no training). DDA's target
        forward passes move its BN statistics the same way, so this
        separates that effect from the adaptation losses'."""
        work = osp.join(self.paths(seed)['work'], 'source_only_bn')
        out = osp.join(work, 'recalibrated.pth')
        self.step(f'seed{seed} target BN stats', [
            'tools/recalibrate_bn.py', CONFIGS['source_only'], ckpt,
            CONFIGS['dda'], '--out', out, '--cfg-options'
        ] + self.data_options('dda', seed, False), out)
        test_dir = osp.join(work, 'test')
        self.step(f'seed{seed} test source_only_bn', [
            'tools/test.py', CONFIGS['source_only'], out, '--work-dir',
            test_dir, '--cfg-options'
        ] + self.data_options('source_only', seed)[:2],
            test_dir if _has_metrics(test_dir) else None)
        return latest_metrics(test_dir)

    def figure(self, seed: int) -> str:
        out = osp.join(self.out, 'example.png')
        models = []
        for name in ('source_only', 'dda', 'selftrain'):
            opts = dict(o.split('=', 1)
                        for o in self.data_options(name, seed))
            models.append(dict(name=NAMES[name], config=CONFIGS[name],
                               checkpoint=self.ckpts[seed][name],
                               cfg_options=opts))
        spec = dict(out=out, index=0, models=models,
                    maps_from=NAMES['dda'],
                    title=f'toy Cityscapes val image 0, seed {seed}')
        spec_path = osp.join(self.out, 'figure_spec.json')
        with open(spec_path, 'w') as f:
            json.dump(spec, f, indent=1)
        self.step('figure', ['mmseg_dda.visualization.demo_figure',
                             spec_path], module=True)
        return out

    def run(self) -> None:
        start = time.time()
        record = run_record(self.args, code_hash())
        print(f'[demo] training precision: {self.args.amp}' +
              (' (fast mode: bf16 autocast + channels-last)'
               if self.args.amp == 'bf16' else '') +
              f'; numeric platform: {record["platform"]}', flush=True)
        check_reuse(osp.join(self.out, 'demo_run.json'), record)
        self.prepare()
        results = {seed: self.run_seed(seed) for seed in self.args.seeds}
        figure = self.figure(self.args.seeds[0])
        self.summarise(results, figure, time.time() - start)

    def summarise(self, results: Dict[int, Dict[str, dict]], figure: str,
                  total: float) -> None:
        a = self.args
        parts = [seed_table(seed, res, a) for seed, res in results.items()]
        if len(results) > 1:
            parts.append(gain_table(results))
        table = '\n\n'.join(parts)
        with open(osp.join(self.out, 'results.md'), 'w') as f:
            f.write(table + '\n')
        # CPU time (the step and its data-loader workers) is what a quiet
        # machine needs; wall time also counts waiting for busy cores.
        times = ['| step | wall time (s) | CPU time (s) |', '|---|---|---|']
        times += [f'| {n} | {s:.1f} | {c:.1f} |' for n, s, c in self.timings]
        times.append(f'| total (this invocation) | {total:.1f} | '
                     f'{sum(c for _, _, c in self.timings):.1f} |')
        note = expected_note(results, a, osp.join(ROOT, EXPECTED))
        text = '\n'.join(['', table, '', '\n'.join(times), '', note])
        print(text)
        with open(osp.join(self.out, 'summary.md'), 'w') as f:
            f.write(text + '\n')
        print(f'\nTables: {self.out}/results.md, {self.out}/summary.md; '
              f'figure: {figure}; logs: {self.logs}/')


def init_from(ckpt: str, module: str) -> List[str]:
    """``--cfg-options`` initialising ``module`` from a segmentor checkpoint.

    The source-only checkpoint holds the segmentor's own keys, so it loads
    into the source-only model (``model``) and into the DDA model's segmentor
    (``model.segmentor``) alike; the DDA discriminator starts fresh.
    """
    return [f'{module}.init_cfg.type=Pretrained',
            f'{module}.init_cfg.checkpoint={ckpt}']


def seed_table(seed: int, res: Dict[str, dict], args) -> str:
    """One seed's results (the table compared with the expected one)."""
    p, n, s = args.pretrain_iters, args.iters, args.selftrain_iters
    iters = dict(pretrain=f'{p}', source_only=f'{p} + {n}',
                 source_only_bn=f'{p} + {n}', dda=f'{p} + {n}',
                 selftrain=f'{p} + {n} + {s}')
    lines = [
        f'Toy SYNTHIA -> toy Cityscapes val ({args.num_val} images, 16 '
        f'classes, native-resolution GT), training seed {seed}, '
        f'{PRECISIONS[args.amp]}:', '',
        '| model | iterations | mIoU (16) | mIoU* (13) | aAcc |',
        '|---|---|---|---|---|'
    ]
    for key, m in res.items():
        lines.append(f"| {NAMES[key]} | {iters[key]} | {m['mIoU']:.2f} | "
                     f"{m['mIoU*']:.2f} | {m['aAcc']:.2f} |")
    return '\n'.join(lines)


def mean_std(values: Sequence[float]) -> str:
    """``mean ± std`` (sample std, n - 1) with two decimals."""
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{mean:+.2f} ± {std:.2f}'


def gain_table(results: Dict[int, Dict[str, dict]]) -> str:
    """Gains DDA - source only and self-training - DDA: per seed, mean, std."""
    seeds = list(results)
    lines = [
        f'Gains over {len(seeds)} training seeds (points; mean ± sample '
        'std):', '',
        '| gain | metric | ' + ' | '.join(f'seed {s}' for s in seeds) +
        ' | mean ± std |', '|---|---|' + '---|' * (len(seeds) + 1)
    ]
    for label, hi, lo in (('DDA − source only', 'dda', 'source_only'),
                          ('DDA − (source only + target BN)', 'dda',
                           'source_only_bn'),
                          ('self-training − DDA', 'selftrain', 'dda')):
        for metric in ('mIoU', 'mIoU*'):
            gains = [results[s][hi][metric] - results[s][lo][metric]
                     for s in seeds]
            lines.append(f'| {label} | {metric} | ' +
                         ' | '.join(f'{g:+.2f}' for g in gains) +
                         f' | {mean_std(gains)} |')
    return '\n'.join(lines)


def table_rows(text: str) -> List[str]:
    """The Markdown table rows (lines starting with ``|``) of ``text``."""
    return [ln.rstrip() for ln in text.splitlines() if ln.startswith('|')]


def expected_sections(text: str) -> Dict[tuple, List[str]]:
    """``{(precision, platform): table rows}`` of the expected-table file,
    one section ``## <precision> on <platform> ...`` per pair."""
    sections = {}
    for sec in text.split('\n## ')[1:]:
        words = sec.split('\n', 1)[0].split()
        if len(words) >= 3 and words[1] == 'on':
            sections[(words[0], words[2])] = table_rows(sec)
    return sections


def expected_note(results: Dict[int, Dict[str, dict]], args,
                  expected_path: str, platform: Optional[str] = None) -> str:
    """A line saying whether the seed-0 table equals the expected one."""
    if 0 not in results or not uses_defaults(args):
        return ('(Not compared with the expected table: it is measured for '
                'seed 0 with the default sizes.)')
    if not osp.isfile(expected_path):
        return f'NOTE: {expected_path} is missing; nothing to compare with.'
    if platform is None:
        from mmseg_dda.utils.numeric_platform import numeric_platform
        platform = numeric_platform()
    name = osp.relpath(expected_path, ROOT)
    with open(expected_path) as f:
        sections = expected_sections(f.read())
    want = sections.get((args.amp, platform), [])
    if not want:
        known = ', '.join(f'{a} on {p}' for a, p in sections) or 'none'
        return (f'NOTE: {name} has no {args.amp} table for this platform '
                f'({platform}; tables: {known}); nothing to compare with. '
                'The last bits of the kernels, and so the numbers of this '
                'short training, depend on the CPU.')
    got = table_rows(seed_table(0, results[0], args))
    if got == want:
        return (f'The seed-0 table equals the expected {args.amp} one for '
                f'{platform} ({name}).')
    diff = [f'  expected: {w}\n  printed:  {g}'
            for w, g in zip(want, got) if w != g]
    if len(want) != len(got):
        diff.append(f'  expected {len(want)} rows, printed {len(got)}')
    return (f'NOTE: the seed-0 table DIFFERS from the expected {args.amp} '
            f'one for {platform} ({name}); the same commit, thread count, '
            'library versions and platform should print it exactly. '
            'Check requirements/runtime.txt and report the difference:\n' +
            '\n'.join(diff))


def demo_feature_grid():
    """Feature grid of the demo input size (the GMM is fitted on it)."""
    import mmseg_dda  # noqa: F401  (registers the project's modules)
    from mmseg_dda.datasets.transforms.density import feature_grid_size
    from mmseg_dda.utils.runtime import read_config
    w, h = read_config(osp.join(ROOT, CONFIGS['dda'])).input_scale
    return feature_grid_size((h, w))


def _has_metrics(work_dir: str) -> bool:
    try:
        latest_metrics(work_dir)
    except FileNotFoundError:
        return False
    return True


def latest_metrics(work_dir: str) -> dict:
    """Metrics of the newest evaluation logged in ``work_dir``."""
    # <work_dir>/<timestamp>/[vis_data/]<timestamp>.json (JSON lines), oldest
    # first; other JSON files (e.g. a pseudo-label manifest) are not logs.
    logs = sorted(
        p for p in glob.glob(osp.join(work_dir, '*', '*.json')) +
        glob.glob(osp.join(work_dir, '*', 'vis_data', '*.json'))
        if osp.splitext(osp.basename(p))[0] == osp.basename(
            osp.dirname(p).replace(f'{osp.sep}vis_data', '')))
    for log in reversed(logs):
        with open(log) as f:
            records = [json.loads(line) for line in f if line.strip()]
        records = [r for r in records if 'mIoU' in r]
        if records:
            return records[-1]
    raise FileNotFoundError(f'no test metrics logged under {work_dir}')


if __name__ == '__main__':
    Demo(parse_args()).run()
