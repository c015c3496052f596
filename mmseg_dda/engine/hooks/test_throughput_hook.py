"""Images per second of the test loop, logged once at its end."""
import time
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS


@HOOKS.register_module()
class TestThroughputHook(Hook):
    """Log the test loop's throughput after the last test iteration.

    Two rates: the loop's (from the start of the first iteration to the end
    of the last: data loading of every batch but the first, inference,
    metric processing and hooks) and the model's share (inside the
    iterations only: inference, resizing to the original size, metric
    processing; no data loading).
    """

    priority = 'VERY_LOW'  # after the evaluator and visualisation hooks

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.images = 0
        self.loop_start: Optional[float] = None
        self.loop_end: Optional[float] = None
        self.in_iter = 0.
        self._iter_start = 0.

    def before_test(self, runner) -> None:
        self._reset()

    def before_test_iter(self, runner, batch_idx: int,
                         data_batch=None) -> None:
        self._iter_start = time.perf_counter()
        if self.loop_start is None:
            self.loop_start = self._iter_start

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs=None) -> None:
        self.loop_end = time.perf_counter()
        self.in_iter += self.loop_end - self._iter_start
        if outputs is not None:
            self.images += len(outputs)
        elif data_batch is not None:
            self.images += len(data_batch['inputs'])

    def summary(self) -> Optional[str]:
        """The summary line, or None before any test iteration."""
        if not self.images or self.loop_start is None:
            return None
        loop = self.loop_end - self.loop_start
        return (f'Test throughput: {self.images} images in {loop:.1f} s, '
                f'{self.images / max(loop, 1e-9):.2f} images/s (loop, '
                f'data loading included); '
                f'{self.images / max(self.in_iter, 1e-9):.2f} images/s '
                'inside the iterations (inference + metric, no loading)')

    def after_test_epoch(self, runner, metrics=None) -> None:
        line = self.summary()
        if line is not None:
            print_log(line, logger='current')
