# The DDA wrapper of every DDA model base (docs/method.md §2-§5): the FC
# discriminator, the GMM depth-distribution prior, the loss weights and the
# multi-GPU wrapper, around the segmentor of the model base it is listed
# with:
#   model = dict(_delete_=True, data_preprocessor=..., segmentor=...,
#                **_base_.dda_wrapper)
#   model_wrapper_cfg = dict(_delete_=True, **_base_.dda_model_wrapper_cfg)
# Defaults: SYN->CS 16 classes (expid 1).
dda_wrapper = dict(
    type='DDA',
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
dda_model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=True)
