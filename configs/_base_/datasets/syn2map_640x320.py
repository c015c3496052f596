# SYNTHIA -> Mapillary Vistas at low resolution (640, 320), 7 classes
# (expid 5); evaluation at the padded input resolution (reference protocol).
# The same size change as syn2city7_640x320.py, on the Mapillary base.
_base_ = ['./syn2map_1280x760.py']
from mmseg_dda.utils.config_deltas import data_cfgs_at_scale  # noqa: E402

# input_scale, density_map_dir, the four pipelines and the data loaders of
# syn2map_1280x760.py, with every resize (aspect ratio kept) at (640, 320).
globals().update(
    data_cfgs_at_scale(_base_, (640, 320), 'source_density_maps/c7small'))
