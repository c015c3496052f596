# dda_r101-d8: the DeepLab-v2 depth/density segmentor wrapped with the FC
# discriminator and the GMM depth-distribution prior (dda_wrapper.py).
# Defaults: SYN->CS 16 classes (expid 1).
_base_ = ['./deeplabv2_r101_depth_density.py', './dda_wrapper.py']
model = dict(
    _delete_=True,
    data_preprocessor={{_base_.data_preprocessor}},
    segmentor={{_base_.model}},
    **_base_.dda_wrapper)
model_wrapper_cfg = dict(_delete_=True, **_base_.dda_model_wrapper_cfg)
