"""The platform key that decides the last bits of a CPU computation.

oneDNN, MKL and ATen choose their kernels by CPU vendor and instruction set,
and kernels that sum in another order round differently. Results that are
compared bit for bit (the regression pins, the demo's expected tables) are
therefore recorded per platform key.
"""
import platform

import torch


def cpu_vendor() -> str:
    """``vendor_id`` from ``/proc/cpuinfo``; the machine name where it cannot
    be read (not Linux)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'vendor_id':
                    return value.strip()
    except OSError:
        pass
    return platform.machine()


def has_amx() -> bool:
    """torch's own AMX check (private; a torch without it counts as none),
    as :func:`mmseg_dda.engine.cpu_has_bf16_units` reads it."""
    return getattr(torch.cpu, '_is_amx_tile_supported', lambda: False)()


def numeric_platform() -> str:
    """``torch<version>-<vendor>-<ATen CPU capability>[-amx]``, e.g.
    ``torch2.13.0-GenuineIntel-AVX512-amx``."""
    version = torch.__version__.split('+')[0]
    amx = '-amx' if has_amx() else ''
    return (f'torch{version}-{cpu_vendor()}-'
            f'{torch.backends.cpu.get_cpu_capability()}{amx}')
