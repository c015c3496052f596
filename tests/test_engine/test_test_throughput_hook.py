"""TestThroughputHook: images/s of the test loop, and tools/test.py adds it."""
import mmseg_dda  # noqa: F401
import time

from mmseg.registry import HOOKS

from _helpers import REPO, load_tool, record_runner
# Aliased: pytest would try to collect a module-level name starting with Test.
from mmseg_dda.engine.hooks import TestThroughputHook as ThroughputHook
from mmseg_dda.engine.hooks import test_throughput_hook as throughput_module


def test_counts_images_and_times_the_loop(monkeypatch):
    clock = iter([10., 11., 12., 13.5, 14., 15.])
    monkeypatch.setattr(time, 'perf_counter', lambda: next(clock))
    hook = HOOKS.build(dict(type='TestThroughputHook'))
    assert isinstance(hook, ThroughputHook)
    hook.before_test(None)
    assert hook.summary() is None
    # 3 iterations: 2 + 2 + 1 images; loop 10 -> 15 s, inside 1+1.5+1 s.
    for i, n in enumerate((2, 2, 1)):
        hook.before_test_iter(None, i)
        hook.after_test_iter(None, i, outputs=[object()] * n)
    assert hook.images == 5
    line = hook.summary()
    assert line.startswith('Test throughput: 5 images in 5.0 s, 1.00 '
                           'images/s')
    assert '1.43 images/s inside the iterations' in line
    logged = []
    monkeypatch.setattr(throughput_module, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    hook.after_test_epoch(None)
    assert logged == [line]
    hook.before_test(None)  # a second test run starts from zero
    assert hook.images == 0 and hook.summary() is None


def test_counts_the_batch_without_outputs():
    hook = ThroughputHook()
    hook.before_test(None)
    hook.before_test_iter(None, 0)
    hook.after_test_iter(None, 0, data_batch=dict(inputs=[1, 2, 3]))
    assert hook.images == 3


def test_test_tool_adds_the_hook(monkeypatch, tmp_path):
    tool = load_tool('test')
    built = record_runner(monkeypatch, tool)
    monkeypatch.setenv('LOCAL_RANK', '0')
    cfg = str(REPO / 'configs' / 'dda' / 'syn2city_16cls.py')
    tool.main([cfg, 'c.pth', '--work-dir', str(tmp_path)])
    (cfg, ) = built
    assert [h['type'] for h in cfg.custom_hooks].count(
        'TestThroughputHook') == 1
