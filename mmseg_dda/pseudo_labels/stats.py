"""Running statistics of generated pseudo-labels (summary table)."""
import time
from typing import Optional, Sequence

import numpy as np
from prettytable import PrettyTable


class PseudoLabelStats:
    """Accumulates per-class labelled-pixel counts and confidences.

    Args:
        class_names (Sequence[str]): The C class names.
        ignore_index (int): Value of unlabelled pixels. Defaults to 255.
    """

    def __init__(self, class_names: Sequence[str], ignore_index: int = 255):
        self.class_names = list(class_names)
        self.ignore_index = ignore_index
        num = len(self.class_names)
        self.pixels = np.zeros(num, dtype=np.int64)
        self.conf_sum = np.zeros(num, dtype=np.float64)
        self.total_pixels = 0
        self.images = 0
        self.start = time.perf_counter()

    def update(self, label: np.ndarray, confidence: np.ndarray) -> None:
        """Add one pseudo-label and the confidence map it came from."""
        num = len(self.class_names)
        valid = label != self.ignore_index
        cls = label[valid].astype(np.int64)
        self.pixels += np.bincount(cls, minlength=num)[:num]
        self.conf_sum += np.bincount(
            cls, weights=confidence[valid].astype(np.float64),
            minlength=num)[:num]
        self.total_pixels += label.size
        self.images += 1

    def images_per_second(self, elapsed: Optional[float] = None) -> float:
        """Throughput since construction (or over ``elapsed`` seconds)."""
        elapsed = time.perf_counter() - self.start if elapsed is None \
            else elapsed
        return self.images / elapsed if elapsed > 0 else float('nan')

    def table(self) -> str:
        """Per-class labelled fraction and mean confidence, plus totals."""
        total = max(self.total_pixels, 1)
        with np.errstate(divide='ignore', invalid='ignore'):
            mean_conf = self.conf_sum / self.pixels
        t = PrettyTable(['class', 'labelled %', 'mean conf'])
        for name, n, c in zip(self.class_names, self.pixels, mean_conf):
            t.add_row([name, f'{100 * n / total:.2f}',
                       'n/a' if np.isnan(c) else f'{c:.4f}'])
        labelled = self.pixels.sum()
        all_conf = self.conf_sum.sum() / labelled if labelled else float('nan')
        t.add_row(['TOTAL', f'{100 * labelled / total:.2f}',
                   'n/a' if np.isnan(all_conf) else f'{all_conf:.4f}'])
        return (f'{t.get_string()}\n{self.images} images, '
                f'{self.images_per_second():.2f} images/s')
