"""The platform key that decides the last bits of a CPU computation.

oneDNN, MKL and ATen choose their kernels by CPU vendor and instruction set,
and kernels that sum in another order round differently. Results that are
compared bit for bit (the regression pins, the demo's expected tables) are
therefore recorded per platform key.
"""
import platform

import torch


def cpu_vendor_and_flags():
    """``(vendor, flags)`` from ``/proc/cpuinfo``; the machine name and no
    flags where it cannot be read (not Linux)."""
    vendor, flags = platform.machine(), set()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'vendor_id':
                    vendor = value.strip()
                elif key.strip() == 'flags':
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return vendor, flags


def numeric_platform() -> str:
    """``torch<version>-<vendor>-<ATen CPU capability>[-amx]``, e.g.
    ``torch2.13.0-GenuineIntel-AVX512-amx``."""
    vendor, flags = cpu_vendor_and_flags()
    version = torch.__version__.split('+')[0]
    amx = '-amx' if 'amx_bf16' in flags else ''
    return (f'torch{version}-{vendor}-'
            f'{torch.backends.cpu.get_cpu_capability()}{amx}')
