from .deeplabv2_head import DeepLabV2Head
from .mean_projection_head import DensityHead, DepthHead, MeanProjectionHead

__all__ = ['DeepLabV2Head', 'DepthHead', 'DensityHead', 'MeanProjectionHead']
