"""Engine hooks."""
from .atomic_checkpoint_hook import AtomicCheckpointHook  # noqa: F401
from .dda_visualization_hook import DDAVisualizationHook  # noqa: F401
from .density_grid_check_hook import DensityGridCheckHook  # noqa: F401
from .nan_loss_guard_hook import NaNLossGuardHook  # noqa: F401
from .plain_checkpoint_hook import PlainCheckpointHook  # noqa: F401
from .test_throughput_hook import TestThroughputHook  # noqa: F401
