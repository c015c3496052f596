"""mmseg_dda: DDA (NeurIPS 2022) as an MMSegmentation 1.x plugin."""
# compat first: with mmcv-lite, mmseg.models needs its mmcv._ext stub.
from . import compat  # noqa: F401
from . import (checkpoint, datasets, density, engine, evaluation,  # noqa: F401
               models, utils)

__version__ = '0.1.0'
