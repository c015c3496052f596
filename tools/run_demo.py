"""The README's main job: the whole DDA pipeline on generated toy data.

Runs every step through the same command-line tools a user runs on the real
datasets, on the synthetic street scenes of ``tools/make_toy_data.py``:

0. generate toy SYNTHIA / Cityscapes / Mapillary trees;
1. fit the per-class GMM prior on the toy source (``tools/fit_gmm.py``) and
   write the source density maps (STEP 1, ``tools/gen_density_maps.py``);
2. train the source-only baseline and DDA (STEP 2, ``tools/train.py``), both
   for the same number of iterations from the same seed;
3. generate pseudo-labels with the DDA model (STEP 3);
4. self-train on them (STEP 4);
5. evaluate the three models (STEP 5, ``tools/test.py``), print one table and
   save an example figure (image, GT, prediction, depth, density).

Each step is skipped when its output exists, so an interrupted demo resumes
where it stopped (``make clean-demo`` starts afresh; do so before changing
the sizes, since finished steps are not redone).
"""
import argparse
import glob
import json
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
NAMES = {
    'source_only': 'source only',
    'dda': 'DDA (stage 1)',
    'selftrain': 'DDA + self-training'
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Run the DDA pipeline on generated toy data')
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


class Demo:
    """Runs the pipeline steps as subprocesses and records their times."""

    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.data = osp.join(args.out, 'data')
        self.work = osp.join(args.out, 'work_dirs')
        self.gmm = osp.join(args.out, 'gmm_toy.json')
        self.pseudo = osp.join(self.work, 'dda', 'pseudo_labels')
        self.timings = []

    def step(self, name, cmd, done=None):
        if done and osp.exists(done):
            print(f'[demo] {name}: done already ({done})', flush=True)
            return
        print(f'[demo] {name}: python {" ".join(cmd)}', flush=True)
        start = time.time()
        subprocess.run([sys.executable] + cmd, cwd=ROOT, check=True)
        self.timings.append((name, time.time() - start))

    def data_options(self, name):
        """``--cfg-options`` pointing a demo config at ``--out``."""
        syn, city = f'{self.data}/synthia', f'{self.data}/cityscapes'
        opts = [f'val_dataloader.dataset.data_root={city}',
                f'test_dataloader.dataset.data_root={city}']
        if name == 'source_only':
            opts.append(f'train_dataloader.dataset.data_root={syn}')
        elif name == 'dda':
            opts += [f'train_dataloader.dataset.source.data_root={syn}',
                     f'train_dataloader.dataset.target.data_root={city}',
                     f'model.density.params={self.gmm}']
        else:
            opts += [f'train_dataloader.dataset.data_root={city}',
                     f'train_dataloader.dataset.pseudo_label_dir='
                     f'{self.pseudo}']
        return opts

    def train(self, name, iters, extra=()):
        work_dir = osp.join(self.work, name)
        ckpt = osp.join(work_dir, f'iter_{iters}.pth')
        schedule = [
            f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'param_scheduler.0.end={iters + 1}',
            f'default_hooks.checkpoint.interval={iters}',
            f'randomness.seed={self.args.seed}'
        ]
        self.step(f'train {name}', [
            'tools/train.py', CONFIGS[name], '--work-dir', work_dir,
            '--cfg-options'
        ] + schedule + self.data_options(name) + list(extra), ckpt)
        return ckpt

    def test(self, name, ckpt, show_dir=None):
        work_dir = osp.join(self.work, f'test_{name}')
        cmd = ['tools/test.py', CONFIGS[name], ckpt, '--work-dir', work_dir]
        if show_dir:
            cmd += ['--show-dir', show_dir]
        self.step(f'test {name}',
                  cmd + ['--cfg-options'] + self.data_options(name))
        return latest_metrics(work_dir)

    def run(self):
        a = self.args
        self.step('make toy data', [
            'tools/make_toy_data.py', '--out', self.data, '--num-source',
            str(a.num_source), '--num-target', str(a.num_target),
            '--num-val', str(a.num_val), '--seed', str(a.seed)
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
        ckpts = {
            'source_only': self.train('source_only', a.iters),
            'dda': self.train('dda', a.iters)
        }
        self.step('STEP 3 pseudo-labels', [
            'tools/gen_pseudo_labels.py', CONFIGS['dda'], ckpts['dda'],
            '--out', self.pseudo, '--cfg-options'
        ] + self.data_options('dda'))
        ckpts['selftrain'] = self.train('selftrain', a.selftrain_iters,
                                        [f"load_from={ckpts['dda']}"])
        # The DDA model has trained depth and density heads to show.
        figures = osp.abspath(osp.join(self.out, 'figures'))
        results = {
            name: self.test(name, ckpt, figures if name == 'dda' else None)
            for name, ckpt in ckpts.items()
        }
        pngs = sorted(glob.glob(osp.join(figures, '**', '*.png'),
                                recursive=True))
        if pngs:
            shutil.copy(pngs[0], osp.join(self.out, 'example.png'))
        self.summarise(results)

    def summarise(self, results):
        lines = [
            '', f'Toy SYNTHIA -> toy Cityscapes val ({self.args.num_val} '
            'images, 16 classes, native-resolution GT, last checkpoints)', '',
            '| model | mIoU (16) | mIoU* (13) | aAcc |', '|---|---|---|---|'
        ]
        for key, m in results.items():
            lines.append(f"| {NAMES[key]} | {m['mIoU']:.2f} | "
                         f"{m['mIoU*']:.2f} | {m['aAcc']:.2f} |")
        lines += ['', '| step | wall time (s) |', '|---|---|']
        lines += [f'| {name} | {sec:.1f} |' for name, sec in self.timings]
        lines.append(f'| total | {sum(s for _, s in self.timings):.1f} |')
        text = '\n'.join(lines)
        print(text)
        with open(osp.join(self.out, 'summary.md'), 'w') as f:
            f.write(text + '\n')
        print(f'\nTable: {self.out}/summary.md; example figure: '
              f'{self.out}/example.png')


def demo_feature_grid():
    """Feature grid of the demo input size (the GMM is fitted on it)."""
    sys.path.insert(0, ROOT)
    from mmengine.config import Config

    import mmseg_dda  # noqa: F401
    from mmseg_dda.datasets.transforms.density import feature_grid_size
    w, h = Config.fromfile(osp.join(ROOT, CONFIGS['dda'])).input_scale
    return feature_grid_size((h, w))


def latest_metrics(work_dir: str) -> dict:
    """Metrics of the newest test run logged in ``work_dir``."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    for log in reversed(logs):
        with open(log) as f:
            records = [json.loads(line) for line in f if line.strip()]
        records = [r for r in records if 'mIoU' in r]
        if records:
            return records[-1]
    raise FileNotFoundError(f'no test metrics logged under {work_dir}')


if __name__ == '__main__':
    Demo(parse_args()).run()
