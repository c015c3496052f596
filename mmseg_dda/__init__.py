"""mmseg_dda: DDA (NeurIPS 2022) as an MMSegmentation 1.x plugin."""
from . import compat  # noqa: F401,I001  (must run before mmseg is imported)
from . import (datasets, density, engine, evaluation, models,  # noqa: F401
               utils)

__version__ = '0.1.0'
