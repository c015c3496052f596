"""``--time N``: the run's duration from N timed training iterations.

The config's own Runner trains N + 1 iterations (the first, which builds
caches and warms the allocator, is not counted) into a temporary work_dir,
without validation or checkpoints; the median iteration time x
``max_iters`` is the estimate, stated with the device.
"""
import copy
import platform
import shutil
import statistics
import tempfile
import time
from typing import List

import torch

from .report import FAIL, INFO, Check


def device_name() -> str:
    """The GPU's name, else the CPU model and thread count."""
    if torch.cuda.is_available():
        return f'GPU {torch.cuda.get_device_name(0)}'
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'CPU {model}, {torch.get_num_threads()} torch threads'


def time_iterations(cfg, n: int) -> List[Check]:
    """Train ``n + 1`` iterations; one row with the estimate."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    max_iters = int((cfg.get('train_cfg') or {}).get('max_iters') or 0)
    run = copy.deepcopy(cfg)
    tmp = tempfile.mkdtemp(prefix='preflight_time_')
    run.work_dir = tmp
    run.train_cfg = dict(type='IterBasedTrainLoop', max_iters=n + 1,
                         val_interval=10**9)
    run.val_cfg = run.val_dataloader = run.val_evaluator = None
    run.test_cfg = run.test_dataloader = run.test_evaluator = None
    run.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10**9, save_last=False)
    run.default_hooks.logger = dict(type='LoggerHook', interval=1)
    run.resume = False
    t0 = time.time()
    try:
        runner = (Runner.from_cfg(run) if 'runner_type' not in run
                  else RUNNERS.build(run))
        runner.train()
        times = list(runner.message_hub.get_scalar('train/time').data[0])
    except Exception as err:  # reported, never raised
        return [Check('time', f'{n} timed iterations', FAIL,
                      f'training failed: {type(err).__name__}: {err}')]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counted = times[1:] or times
    med = statistics.median(counted)
    total = med * max_iters
    return [Check(
        'time', 'run time estimate', INFO,
        f'{len(counted)} timed iterations (after 1 warm-up) on '
        f'{device_name()}: median {med:.3f} s/iteration (min '
        f'{min(counted):.3f}) -> {max_iters} iterations ~ '
        f'{total / 3600:.1f} h of training (validation and checkpoints not '
        f'included; {time.time() - t0:.0f} s to measure)')]
