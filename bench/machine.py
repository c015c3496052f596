"""Machine description shared by the benchmark scripts."""
import platform


def cpu_name() -> str:
    """CPU model from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere)."""
    try:
        with open('/proc/cpuinfo') as f:
            return next(line.split(':', 1)[1].strip() for line in f
                        if line.startswith('model name'))
    except (OSError, StopIteration):
        return platform.processor()
