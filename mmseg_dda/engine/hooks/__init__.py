"""Engine hooks."""
from .dda_visualization_hook import DDAVisualizationHook  # noqa: F401
