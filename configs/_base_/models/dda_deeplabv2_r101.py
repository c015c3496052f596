# dda_r101-d8: the DeepLab-v2 depth/density segmentor wrapped with the FC
# discriminator and the GMM depth-distribution prior (docs/method.md §2-§5).
# Defaults: SYN->CS 16 classes (expid 1).
_base_ = ['./deeplabv2_r101_depth_density.py']
model = dict(
    _delete_=True,
    type='DDA',
    data_preprocessor={{_base_.data_preprocessor}},
    segmentor={{_base_.model}},
    discriminator=dict(type='FCDiscriminator', in_channels=16),
    density=dict(type='GMMDensity', params='c16', num_classes=16),
    # LAMBDA_* of the reference configs (§5.4), expid 1.
    loss_weights=dict(
        seg_src=1.0,
        density_src=0.01,
        depth_src=0.005,
        adv_tgt=0.05,
        density_tgt=0.05),
    adversarial_input='entropy_density',
    source_density_gather='pred')
# Multi-GPU: segmentor and discriminator are wrapped separately (D is frozen
# during the generator pass); the depth head gets no gradient from the target
# pass, so unused parameters must be allowed.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=True)
