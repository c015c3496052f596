"""Known warnings of the stack, silenced by message (never wholesale).

**Upstream problem.** mmseg 1.2.2, MMEngine 0.10.7 and torch >= 2.6 print
deprecation and advice warnings on every run although nothing is wrong in
this project's use of them (each entry of :data:`KNOWN_WARNINGS` names its
source). They bury the warnings that matter.

**Fix.** :func:`filter_known_warnings` adds one ``ignore`` filter per entry,
matched by message and category. The test suite applies the same list to
every test (``tests/conftest.py``; pytest resets the filters per test).

**Needed by.** The versions named per entry. **Can go** entry by entry:
drop an entry and run the tests (``tests/test_compat/``, then a tiny
training run such as ``tests/test_tools/test_train_test_tools.py``); if
the warnings summary stays empty, the upstream code no longer warns.
"""
import warnings

# (message regex, category): matched with warnings.filterwarnings, i.e. the
# regex must match the start of the message. No ':' in a message (pytest's
# ini syntax, used by tests/conftest.py, separates fields with it).
KNOWN_WARNINGS = (
    # mmseg's BaseDecodeHead builds its losses through build_loss.
    (r'``build_loss`` would be deprecated soon', UserWarning),
    # mmseg's resize() advice for align_corners=True: the reference upsamples
    # stride-8 logits to the input size with align_corners=True on purpose.
    (r'When align_corners=True, the output would more aligned', UserWarning),
    # SegVisualizationHook without drawing (the default in training).
    (r'The draw is False, it means that the hook', UserWarning),
    # mmengine's DDP wrapper forwarding broadcast_buffers to torch >= 2.11.
    (r'`broadcast_buffers` is deprecated', FutureWarning),
    # mmengine's AmpOptimWrapper still builds torch.cuda.amp.GradScaler.
    (r'`torch\.cuda\.amp\.GradScaler\(args\.\.\.\)` is deprecated',
     FutureWarning),
    # torch.distributed.optim (imported by mmengine.optim) uses torch.jit,
    # deprecated since torch 2.9 (import time; Python hides
    # DeprecationWarning outside __main__, pytest shows it).
    (r'.*torch\.jit\.(script|interface|_script_if_tracing).*',
     DeprecationWarning),
    (r'.*torch\.jit\.(script|interface|_script_if_tracing).*', FutureWarning),
    (r'`torch\.jit\.script` is deprecated', UserWarning),
)


def filter_known_warnings() -> None:
    """Silence the known, harmless warnings of the stack (by message)."""
    for message, category in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)


def pytest_filter_lines() -> list:
    """:data:`KNOWN_WARNINGS` as pytest ``filterwarnings`` ini lines.

    Returns:
        list[str]: ``'ignore:<message>:<category>'`` per entry.
    """
    lines = []
    for message, category in KNOWN_WARNINGS:
        if ':' in message:
            raise ValueError(f'known warning {message!r}: a ":" cannot be '
                             'written in a pytest filterwarnings line')
        module = category.__module__
        name = category.__qualname__ if module == 'builtins' else \
            f'{module}.{category.__qualname__}'
        lines.append(f'ignore:{message}:{name}')
    return lines
