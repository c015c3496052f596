# SYNTHIA -> Cityscapes at low resolution (640, 320), 7 classes (expid 3).
# SYNTHIA is resized from its native (1280, 760); the density maps (41x81,
# GMM set c7small) are computed from the native-resolution GT (§3.4).
_base_ = ['./syn2city7_1280x760.py']
from mmseg_dda.utils.config_deltas import data_cfgs_at_scale  # noqa: E402

# input_scale, density_map_dir, the four pipelines and the data loaders of
# syn2city7_1280x760.py, with every resize at (640, 320).
globals().update(
    data_cfgs_at_scale(_base_, (640, 320), 'source_density_maps/c7small'))
