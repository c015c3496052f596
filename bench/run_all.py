"""Run every benchmark, collect the JSON results, print one markdown table.

Runs ``benchmark_loader.py``, ``benchmark_density.py``,
``benchmark_pseudo_labels.py`` and ``benchmark_train_step.py`` one after the
other (each in its own process, so peak memory and thread settings do not
leak between them), reads their ``bench/results/*.json`` and writes
``bench/results/summary.json`` (atomically) with the machine description.
Quick runs use ``bench/results/quick/`` instead, so they never overwrite the
numbers of full runs.

    python bench/run_all.py            # default sizes (~10 min on 2 cores)
    python bench/run_all.py --quick    # smaller runs (~1.5 min on 2 cores)
    python bench/run_all.py --only density train_step

``--quick`` shrinks the runs (fewer images/repeats; the train step with a
ResNet-50 layout and 1 warm-up + 2 timed iterations), which is enough to see
that everything works, not for numbers to quote.
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from typing import Dict, List, Optional

from machine import cpu_name

from mmseg_dda.utils.atomic_io import atomic_write_json

HERE = osp.dirname(osp.abspath(__file__))
RESULTS = osp.join(HERE, 'results')

#: name -> (script, result file, normal args, quick args)
BENCHMARKS = {
    'loader': ('benchmark_loader.py', 'loader.json', [],
               ['--num-images', '6']),
    'density': ('benchmark_density.py', 'density.json', [],
                ['--slow-cells', '400', '--slow-repeats', '2', '--repeats',
                 '2', '--images', '2']),
    'pseudo_labels': ('benchmark_pseudo_labels.py', 'pseudo_labels.json', [],
                      ['--repeats', '2']),
    'train_step': ('benchmark_train_step.py', 'train_step.json',
                   ['--variants', 'reference_malloc', 'fp32',
                    'channels_last', 'amp', 'amp_channels_last'],
                   ['--depth', '50', '--warmup', '1', '--iters', '2',
                    '--data-samples', '2', '--variants', 'fp32',
                    'amp_channels_last']),
    'inference': ('benchmark_inference.py', 'inference.json', [],
                  ['--warmup', '0', '--iters', '1']),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true',
                   help='small runs (smoke test, not for quoting)')
    p.add_argument('--only', nargs='+', choices=sorted(BENCHMARKS),
                   help='run only these benchmarks')
    p.add_argument('--skip-run', action='store_true',
                   help='only collect the existing JSON files')
    return p.parse_args(argv)


def machine() -> dict:
    import torch
    info = dict(cpu=cpu_name(), cores=os.cpu_count(),
                torch_threads=torch.get_num_threads(),
                torch=torch.__version__, python=platform.python_version(),
                platform=platform.platform())
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name()
    try:
        info['load_average'] = list(os.getloadavg())
    except OSError:
        pass
    return info


def script_supports(script: str, flag: str) -> bool:
    with open(osp.join(HERE, script), encoding='utf-8') as f:
        return flag in f.read()


def results_dir(quick: bool) -> str:
    # Quick runs never overwrite the numbers of full runs.
    return osp.join(RESULTS, 'quick') if quick else RESULTS


def run(name: str, quick: bool) -> Dict:
    script, result, args, quick_args = BENCHMARKS[name]
    extra = list(quick_args if quick else args)
    if quick and extra and not script_supports(script, extra[0]):
        extra = []  # the script has no such option: run it as is
    extra += ['--out', osp.join(results_dir(quick), result)]
    cmd = [sys.executable, osp.join(HERE, script), *extra]
    print(f'$ {" ".join(cmd)}', flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    tail = (proc.stdout + proc.stderr)[-2000:]
    if proc.returncode != 0:
        print(f'{name}: FAILED (exit {proc.returncode})\n{tail}')
    else:
        print(proc.stdout[-1500:])
    return dict(returncode=proc.returncode, seconds=seconds,
                args=extra, output_tail=tail if proc.returncode else '')


def load(name: str, quick: bool) -> Optional[dict]:
    path = osp.join(results_dir(quick), BENCHMARKS[name][1])
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def rows(results: Dict[str, Optional[dict]]) -> List[tuple]:
    """``(benchmark, measure, value)`` rows of the headline numbers."""
    out = []
    ld = results.get('loader')
    if ld:
        for r in ld.get('rows', []):
            out.append(('loader', f"SYNTHIA 1280x760, {r['variant']}, "
                        f"{r['workers']} workers",
                        f"{r['images_per_s']:.2f} images/s"))
    dn = results.get('density')
    if dn:
        td, sm = dn['target_density'], dn['source_maps']
        out.append(('density', 'target density 96x161x16, vectorised',
                    f"{1e3 * td['vectorised_s']:.2f} ms/it"))
        out.append(('density', 'speed-up vs 1 Python pdf per cell',
                    f"{td['speedup']:.0f}x"))
        if 'speedup_reference_loop' in td:
            out.append(('density', 'speed-up vs reference call pattern '
                        f"({td['reference_loop_pdf_calls']} pdf calls/it)",
                        f"{td['speedup_reference_loop']:.0f}x"))
        out.append(('density', 'source maps 1280x760 -> 96x161, '
                    'decode+compute+write',
                    f"{sm['end_to_end_images_per_s']:.1f} images/s"))
    pl = results.get('pseudo_labels')
    if pl:
        for r in pl.get('pseudo_labels', []):
            out.append(('pseudo_labels', f"threshold + component filter, "
                        f"{r['setting']}, C={r['classes']}",
                        f"{r['images_per_s']:.2f} images/s"))
        for r in pl.get('metric', []):
            out.append(('pseudo_labels', f"{r['metric']}, "
                        f"{r['resolution'][0]}x{r['resolution'][1]}, "
                        f"C={r['classes']}",
                        f"{r['images_per_s']:.2f} images/s"))
    ts = results.get('train_step')
    if ts:
        for p in ts.get('paths', []):
            tag = (f"R{ts['depth']} {ts['size'][0]}x{ts['size'][1]} "
                   f"C={ts['classes']} {ts['device']}")
            mem = p['memory']
            peak = mem.get('cuda_peak_bytes') or mem['peak_rss_bytes']
            out.append(('train_step', f"{tag}: {p['name']}",
                        f"{p['median_s']:.3f} s/it, "
                        f"{p.get('ratio_to_reference_median', 1.):.2f}x the "
                        f"reference, peak {peak / 2**30:.2f} GiB"))
        for v in ts.get('variants', []):  # results of older versions
            tag = (f"R{v['depth']} {v['size'][0]}x{v['size'][1]} "
                   f"C={v['classes']} {v['device']}"
                   + (' bf16' if v['amp_bf16'] else '')
                   + (' channels-last' if v['channels_last'] else ''))
            fw, pln = v['framework'], v['plain']
            out.append(('train_step', f'{tag}: MMEngine DDA train_step',
                        f"{fw['median_s']:.3f} s/it (min {fw['min_s']:.3f})"))
            out.append(('train_step', f'{tag}: plain PyTorch loop',
                        f"{pln['median_s']:.3f} s/it (min "
                        f"{pln['min_s']:.3f})"))
            out.append(('train_step', f'{tag}: framework overhead',
                        f"{100 * v['overhead_median']:+.1f}% median, "
                        f"{100 * v['overhead_min']:+.1f}% min"))
            out.append(('train_step', f'{tag}: peak memory (framework)',
                        f"{fw['peak_memory_bytes'] / 2**30:.2f} GiB"))
        if ts.get('data'):
            out.append(('train_step', 'data pipeline (1 src + 1 tgt, '
                        'toy images, native size)',
                        f"{ts['data']['seconds_per_iteration']:.3f} s/it"))
    return out


def inference_rows(results: dict) -> List[tuple]:
    inf = results.get('inference')
    if not inf:
        return []
    return [('inference', f"{inf['size'][0]}x{inf['size'][1]} -> "
             f"{inf['ori_size'][0]}x{inf['ori_size'][1]} {inf['device']}: "
             f"{r['variant']}", f"{r['images_per_s']:.3f} images/s "
             f"({r.get('speed_vs_fp32', 1.):.2f}x fp32)")
            for r in inf['variants']]


def markdown(info: dict, table: List[tuple]) -> str:
    lines = [f"Machine: {info['cpu']}, {info['cores']} cores, torch "
             f"{info['torch']} with {info['torch_threads']} threads"
             + (f", GPU {info['gpu']}" if 'gpu' in info else '')
             + (f", load average {info['load_average'][0]:.2f}"
                if 'load_average' in info else ''), '',
             '| benchmark | measure | value |', '|---|---|---|']
    lines += [f'| {a} | {b} | {c} |' for a, b, c in table]
    return '\n'.join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    names = args.only or list(BENCHMARKS)
    runs = {}
    if not args.skip_run:
        for name in names:
            runs[name] = run(name, args.quick)
    results = {name: load(name, args.quick) for name in names}
    info = machine()
    table = rows(results) + inference_rows(results)
    summary = dict(machine=info, quick=args.quick, runs=runs,
                   results=results, table=table)
    os.makedirs(results_dir(args.quick), exist_ok=True)
    out = osp.join(results_dir(args.quick), 'summary.json')
    atomic_write_json(out, summary)
    print(markdown(info, table))
    failed = [n for n, r in runs.items() if r['returncode'] != 0]
    if failed:
        print(f'\nFAILED: {failed}')
    print(f'\nwrote {out}')
    return summary


if __name__ == '__main__':
    sys.exit(1 if any(r['returncode'] for r in main()['runs'].values())
             else 0)
