"""bf16 mixed precision on CPU and GPU: the fast training mode.

MMEngine 0.10.7's ``AmpOptimWrapper`` asserts that a GPU (or NPU/MLU/MUSA)
is present, although ``mmengine.runner.amp.autocast`` supports bf16 on the
CPU. :class:`BF16OptimWrapper` is a plain ``OptimWrapper`` whose
``optim_context`` enters that autocast with ``dtype=torch.bfloat16`` on the
current device. bf16 has float32's exponent range, so no loss scaling is
needed (gradients cannot underflow the way fp16 ones do).

:func:`enable_fast_bf16` is the one switch of a config: every optimiser
wrapper becomes a ``BF16OptimWrapper`` and a DDA model keeps its networks in
the channels-last memory format. :func:`cpu_has_bf16_units` tells whether
the fast mode pays off on this CPU.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

from mmseg_dda.utils.numeric_platform import has_amx


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` with bf16 autocast in :meth:`optim_context`.

    The forward passes run under ``autocast(dtype=torch.bfloat16)`` on the
    device MMEngine reports (``cpu`` without a GPU); parameters, gradients
    and optimiser state stay float32.
    """

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        # Imported here: mmengine.runner imports the optimiser package.
        from mmengine.runner.amp import autocast
        with super().optim_context(model), autocast(dtype=torch.bfloat16):
            yield


def enable_fast_bf16(cfg, channels_last: bool = True) -> None:
    """Switch a config to the fast mode, in place.

    Every optimiser wrapper (one, or each of an ``OptimWrapperDict``
    config) becomes a :class:`BF16OptimWrapper`; with ``channels_last`` a
    DDA model (``model.type == 'DDA'``) gets ``channels_last=True``.

    Raises:
        ValueError: If a wrapper is not a plain ``OptimWrapper`` (or already
            a ``BF16OptimWrapper``): an ``AmpOptimWrapper`` or a custom
            wrapper would be silently replaced.
    """
    optim_wrapper = cfg['optim_wrapper']
    wrappers = ([optim_wrapper] if 'type' in optim_wrapper else [
        v for v in optim_wrapper.values() if isinstance(v, dict)
    ])
    for wrapper in wrappers:
        kind = wrapper.get('type', 'OptimWrapper')
        if kind not in ('OptimWrapper', 'BF16OptimWrapper'):
            raise ValueError(
                'fast bf16 mode: optim_wrapper type must be OptimWrapper, '
                f'got {kind!r}')
        wrapper['type'] = 'BF16OptimWrapper'
        for key in ('loss_scale', 'dtype'):
            wrapper.pop(key, None)
    if channels_last and cfg['model'].get('type') == 'DDA':
        cfg['model']['channels_last'] = True


def cpu_has_bf16_units() -> bool:
    """Whether this CPU has bf16 matrix instructions (AVX512-BF16 or AMX).

    Without them oneDNN emulates bf16 with fp32 instructions and the fast
    mode can be slower than fp32. Reads torch's own CPU feature checks
    (private ``torch.cpu._is_*_supported`` functions); a torch without them
    counts as no bf16 units.
    """
    avx512_bf16 = getattr(torch.cpu, '_is_avx512_bf16_supported',
                          lambda: False)
    return avx512_bf16() or has_amx()
