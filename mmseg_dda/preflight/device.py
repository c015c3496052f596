"""Device: GPUs, memory for one training step, bf16/AMP, DDP batch and LR.

With a GPU the step's peak memory is measured: one ``train_step`` (forward,
backward, optimiser step) of the config's model at its input size and
per-GPU batch, on synthetic inputs. Without one it is estimated from the
benchmark table (:data:`MEASURED_PEAK_GIB`) and labelled as an estimate.
"""
import os
from typing import Dict, List, Optional, Tuple

import torch

from ..apis.model_grid import config_feature_grid, config_input_hw
from .report import FAIL, INFO, OK, WARN, Check
from .weights import strip_init

GiB = 2**30
#: Peak memory (GiB) of one DDA step of the DeepLab-v2 ResNet-101 model
#: (1 source + 1 target image), fp32 and the fast mode (bf16 AMP +
#: channels-last), by input (H, W): process RSS on CPU measured by
#: ``bench/benchmark_train_step.py`` (README, "Training speed and
#: benchmarks"; Intel Xeon with AMX, torch 2.13 CPU).
MEASURED_PEAK_GIB = {(320, 640): (2.70, 1.99), (760, 1280): (7.55, 4.70)}
#: Headroom kept free on a GPU (CUDA context, allocator fragmentation).
HEADROOM = 1.2


def estimate_peak_gib(input_hw, batch: int = 1,
                      fast: bool = False) -> Optional[float]:
    """Peak GiB of the R101 DDA step at ``input_hw``: linear in the pixels
    through the two measured sizes (activations grow with the pixels)."""
    (p0, m0), (p1, m1) = sorted(
        (h * w, v[1 if fast else 0]) for (h, w), v in
        MEASURED_PEAK_GIB.items())
    slope = (m1 - m0) / (p1 - p0)
    fixed = m0 - slope * p0
    return fixed + slope * input_hw[0] * input_hw[1] * batch


def _is_r101_dda(cfg) -> bool:
    model = cfg.get('model') or {}
    seg = model.get('segmentor', model)
    bb = seg.get('backbone') or {}
    return bb.get('type') == 'DeepLabV2ResNet' and bb.get('depth') == 101


def synthetic_batch(cfg, input_hw, batch: int, device: str) -> Dict:
    """Packed inputs of one training step at ``input_hw``: source and target
    for a DDA model, labelled images for a segmentor."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    h, w = input_hw
    n_cls = int(((cfg.model.get('density') or {}).get('num_classes'))
                or (cfg.model.get('segmentor', cfg.model)['decode_head']
                    ['num_classes']))
    gh, gw = config_feature_grid(cfg, input_hw)
    g = torch.Generator().manual_seed(0)

    def sample(labelled: bool) -> SegDataSample:
        s = SegDataSample()
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w),
                            pad_shape=(h, w), scale_factor=(1., 1.)))
        if labelled:
            s.gt_sem_seg = PixelData(
                data=torch.randint(0, n_cls, (1, h, w), generator=g))
            s.gt_depth_map = PixelData(data=1 + 10 * torch.rand(
                1, h, w, generator=g))
            s.gt_density_map = PixelData(
                data=255 * torch.rand(n_cls, gh, gw, generator=g))
        return s

    def images():
        return [torch.randint(0, 256, (3, h, w), generator=g,
                              dtype=torch.uint8) for _ in range(batch)]

    data = dict(inputs=images(),
                data_samples=[sample(True) for _ in range(batch)])
    if cfg.model.get('type') == 'DDA':
        data.update(target_inputs=images(),
                    target_data_samples=[sample(False) for _ in range(batch)])
    return data


def measure_step(cfg, device: str, input_hw=None) -> Tuple[float, float]:
    """Run one ``train_step`` on ``device``; ``(peak GiB, seconds)``.

    The peak is ``torch.cuda.max_memory_allocated`` on a GPU (0 on CPU).
    """
    import time

    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    input_hw = input_hw or config_input_hw(cfg)
    batch = int((cfg.get('train_dataloader') or {}).get('batch_size', 1))
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(40)
    try:
        model = MODELS.build(strip_init(cfg.model)).to(device).train()
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    finally:
        logger.setLevel(level)
    data = synthetic_batch(cfg, input_hw, batch, device)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.time()
    model.train_step(data, wrapper)
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)
        peak = torch.cuda.max_memory_allocated(device) / GiB
    else:
        peak = 0.0
    seconds = time.time() - t0
    del model, wrapper
    if device.startswith('cuda'):
        torch.cuda.empty_cache()
    return peak, seconds


def _lrs(cfg) -> str:
    ow = cfg.get('optim_wrapper') or {}
    parts = ([('', ow)] if 'optimizer' in ow else
             [(k + ' ', v) for k, v in ow.items()
              if isinstance(v, dict) and 'optimizer' in v])
    return ', '.join(f'{k}{v["optimizer"].get("type")} lr '
                     f'{v["optimizer"].get("lr")}' for k, v in parts)


def check_device(cfg, measure: bool = True) -> List[Check]:
    """Rows: GPUs, step memory, bf16/AMP, DDP batch and learning rate."""
    rows = []
    n_gpu = torch.cuda.device_count() if torch.cuda.is_available() else 0
    world = int(os.environ.get('WORLD_SIZE', '1') or 1)
    batch = int((cfg.get('train_dataloader') or {}).get('batch_size', 1))
    try:
        input_hw = config_input_hw(cfg)
    except ValueError:
        input_hw = None
    if n_gpu:
        names = sorted({torch.cuda.get_device_name(i) for i in range(n_gpu)})
        total = min(torch.cuda.get_device_properties(i).total_memory
                    for i in range(n_gpu)) / GiB
        rows.append(Check('device', 'GPUs', OK,
                          f'{n_gpu} visible: {", ".join(names)}, '
                          f'{total:.0f} GiB each'))
    else:
        rows.append(Check('device', 'GPUs', WARN,
                          'none visible: training runs on the CPU (about '
                          '10-45 s per DeepLab-v2 iteration, README "Training '
                          'speed")', 'check CUDA_VISIBLE_DEVICES and the '
                          'driver (nvidia-smi) on a GPU machine'))
    label = (f'input {input_hw[0]}x{input_hw[1]}, batch {batch} per GPU'
             if input_hw else f'batch {batch} per GPU')
    if n_gpu and measure and input_hw:
        try:
            peak, secs = measure_step(cfg, 'cuda:0', input_hw)
        except torch.cuda.OutOfMemoryError:
            rows.append(Check('device', 'step memory', FAIL,
                              f'one training step ({label}) runs out of '
                              f'GPU memory ({total:.0f} GiB)',
                              'use --amp bf16, a smaller input size, or a '
                              'GPU with more memory'))
        except Exception as err:  # measuring is best-effort
            rows.append(Check('device', 'step memory', WARN,
                              f'not measured: {type(err).__name__}: {err}'))
        else:
            status = OK if peak * HEADROOM <= total else FAIL
            rows.append(Check(
                'device', 'step memory', status,
                f'measured: one train_step ({label}, fp32) peaks at '
                f'{peak:.2f} GiB of {total:.0f} GiB ({secs:.1f} s)',
                'use --amp bf16 or a GPU with more memory'))
    elif input_hw and _is_r101_dda(cfg) and cfg.model.get('type') == 'DDA':
        fp32 = estimate_peak_gib(input_hw, batch)
        fast = estimate_peak_gib(input_hw, batch, fast=True)
        rows.append(Check(
            'device', 'step memory', INFO,
            f'estimate (no GPU to measure on): about {fp32:.1f} GiB fp32, '
            f'{fast:.1f} GiB --amp bf16 per step ({label}), from the CPU '
            'benchmark table (bench/benchmark_train_step.py)'))
    else:
        rows.append(Check('device', 'step memory', INFO,
                          f'not measured ({label}): no GPU, and this model '
                          'has no row in the benchmark table'))
    if n_gpu:
        bf16 = torch.cuda.is_bf16_supported()
        rows.append(Check('device', 'AMP', OK if bf16 else WARN,
                          '--amp bf16 and --amp fp16 available' if bf16 else
                          'no bf16 on this GPU: use --amp fp16 or fp32',
                          'drop --amp bf16'))
    else:
        from ..engine.bf16_optim_wrapper import cpu_has_bf16_units
        units = cpu_has_bf16_units()
        rows.append(Check(
            'device', 'AMP', OK if units else INFO,
            '--amp bf16 (fast mode) available: the CPU has bf16 units'
            if units else 'the CPU has no bf16 units: --amp bf16 would be '
            'emulated and may be slower than fp32; --amp fp16 needs a GPU'))
    rows.append(Check(
        'device', 'DDP batch and LR', INFO,
        f'world size {world} x batch {batch} per GPU = {world * batch} '
        f'images per step (per domain); {_lrs(cfg)} (not scaled with the '
        'world size: set the LR in the config, the reference used 1 GPU)'))
    return rows
