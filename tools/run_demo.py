"""The README's main job: the whole DDA pipeline on generated toy data.

Runs every step through the same command-line tools a user runs on the real
datasets, on the synthetic street scenes of ``tools/make_toy_data.py``:

0. generate the toy SYNTHIA / Cityscapes / Mapillary trees;
1. fit the per-class GMM prior on the toy source (``tools/fit_gmm.py``) and
   write the source density maps (STEP 1, ``tools/gen_density_maps.py``);
2. train the source-only baseline and DDA (STEP 2, ``tools/train.py``);
3. generate pseudo-labels from the DDA model (STEP 3);
4. self-train on them (STEP 4);
5. evaluate the three models (STEP 5, ``tools/test.py``) and print one table;
   save an example figure (image, GT, prediction, depth, density).

Every step is skipped when its output already exists, so an interrupted demo
resumes where it stopped (``make clean-demo`` starts afresh). Sizes are
configurable for a longer, more convincing run.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'source_only': 'configs/demo/toy_syn2city_source_only.py',
    'dda': 'configs/demo/toy_syn2city_dda.py',
    'selftrain': 'configs/demo/toy_syn2city_selftrain.py',
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='demo_output',
                        help='folder for data, work dirs and results')
    parser.add_argument('--num-source', type=int, default=120)
    parser.add_argument('--num-target', type=int, default=60)
    parser.add_argument('--num-val', type=int, default=20)
    parser.add_argument('--iters', type=int, default=400,
                        help='iterations of source-only and of DDA training')
    parser.add_argument('--selftrain-iters', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


class Pipeline:
    """Runs the steps as subprocesses and records their wall time."""

    def __init__(self, out: str):
        self.out = out
        self.timings = []

    def run(self, name: str, args, done_marker: str = None):
        if done_marker and osp.exists(done_marker):
            print(f'[demo] {name}: already done ({done_marker}), skipped',
                  flush=True)
            return
        print(f'[demo] {name}: {" ".join(args)}', flush=True)
        start = time.time()
        subprocess.run([sys.executable] + list(args), cwd=ROOT, check=True)
        self.timings.append((name, time.time() - start))


def latest_metrics(work_dir: str) -> dict:
    """Metrics of the newest test run in ``work_dir``."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise FileNotFoundError(f'no test log under {work_dir}')
    with open(logs[-1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return [r for r in lines if 'mIoU' in r][-1]


def main(argv=None):
    args = parse_args(argv)
    out = args.out
    data = osp.join(out, 'data')
    work = osp.join(out, 'work_dirs')
    gmm = osp.join(out, 'gmm_toy.json')
    pipe = Pipeline(out)
    common = [f'data_root={data}', f'randomness.seed={args.seed}']
    it, st = args.iters, args.selftrain_iters

    def schedule(n):
        return [f'max_iters={n}', f'train_cfg.max_iters={n}',
                f'train_cfg.val_interval={n}', f'param_scheduler.0.end={n}',
                f'default_hooks.checkpoint.interval={n}']

    data_opts = [
        f'train_dataloader.dataset.source.data_root={data}/synthia',
        f'train_dataloader.dataset.target.data_root={data}/cityscapes',
        f'val_dataloader.dataset.data_root={data}/cityscapes',
        f'test_dataloader.dataset.data_root={data}/cityscapes',
    ]
    pipe.run('toy data', [
        'tools/make_toy_data.py', '--out', data, '--num-source',
        str(args.num_source), '--num-target', str(args.num_target),
        '--num-val', str(args.num_val), '--seed', str(args.seed)
    ], osp.join(data, 'synthia'))
    pipe.run('fit GMM prior', [
        'tools/fit_gmm.py', CONFIGS['dda'], '--out', gmm, '--cfg-options'
    ] + data_opts[:1], gmm)
    pipe.run('STEP 1 density maps', [
        'tools/gen_density_maps.py', CONFIGS['dda'], '--gmm', gmm,
        '--cfg-options'
    ] + data_opts[:1])

    def train(name, extra=()):
        work_dir = osp.join(work, name)
        n = st if name == 'selftrain' else it
        ckpt = osp.join(work_dir, f'iter_{n}.pth')
        opts = common + schedule(n) + list(extra)
        if name != 'selftrain':
            opts += data_opts[:2] if name == 'dda' else [
                f'train_dataloader.dataset.data_root={data}/synthia']
        pipe.run(f'STEP 2 train {name}' if name != 'selftrain' else
                 'STEP 4 self-training', [
                     'tools/train.py', CONFIGS[name], '--work-dir', work_dir,
                     '--cfg-options'
                 ] + opts + data_opts[2:], ckpt)
        return ckpt

    ckpts = {'source_only': train('source_only'),
             'dda': train('dda', [f'model.density.params={gmm}'])}
    pseudo = osp.join(work, 'dda', 'pseudo_labels')
    pipe.run('STEP 3 pseudo-labels', [
        'tools/gen_pseudo_labels.py', CONFIGS['dda'], ckpts['dda'], '--out',
        pseudo, '--cfg-options', f'model.density.params={gmm}'
    ] + data_opts[:2], osp.join(pseudo, '.complete'))
    ckpts['selftrain'] = train('selftrain', [
        f"load_from={ckpts['dda']}",
        f'train_dataloader.dataset.data_root={data}/cityscapes',
        f'train_dataloader.dataset.pseudo_label_dir={pseudo}'
    ])

    results = {}
    for name, ckpt in ckpts.items():
        test_dir = osp.join(work, f'test_{name}')
        extra = ['--show-dir', osp.join(out, 'figures')] \
            if name == 'selftrain' else []
        pipe.run(f'STEP 5 test {name}', [
            'tools/test.py', CONFIGS[name], ckpt, '--work-dir', test_dir,
            '--cfg-options', f'model.density.params={gmm}'
            if name == 'dda' else f'data_root={data}'
        ] + data_opts[2:] + extra)
        results[name] = latest_metrics(test_dir)

    figures = sorted(glob.glob(osp.join(out, 'figures', '**', '*.png'),
                               recursive=True))
    if figures:
        shutil.copy(figures[0], osp.join(out, 'example.png'))
    print_summary(results, pipe.timings, out)


def print_summary(results: dict, timings, out: str) -> None:
    names = {'source_only': 'source only', 'dda': 'DDA (stage 1)',
             'selftrain': 'DDA + self-training'}
    lines = ['', 'Toy SYNTHIA -> toy Cityscapes val (16 classes, full-res '
             'GT; last checkpoints)', '',
             '| model | mIoU (16) | mIoU* (13) | aAcc |', '|---|---|---|---|']
    for key, metrics in results.items():
        lines.append(f"| {names[key]} | {metrics['mIoU']:.2f} | "
                     f"{metrics.get('mIoU*', float('nan')):.2f} | "
                     f"{metrics.get('aAcc', float('nan')):.2f} |")
    lines += ['', '| step | wall time (s) |', '|---|---|']
    lines += [f'| {name} | {sec:.1f} |' for name, sec in timings]
    text = '\n'.join(lines)
    print(text)
    with open(osp.join(out, 'summary.md'), 'w') as f:
        f.write(text + '\n')
    print(f'\nTable written to {out}/summary.md; example figure: '
          f'{out}/example.png')


if __name__ == '__main__':
    main()
