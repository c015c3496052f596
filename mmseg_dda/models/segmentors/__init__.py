from .depth_density_segmentor import DepthDensitySegmentor

__all__ = ['DepthDensitySegmentor']
