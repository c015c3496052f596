# dda_segformer_mit-b5: the SegFormer MiT-B5 depth/density segmentor wrapped
# with DDA's FC discriminator and GMM depth-distribution prior; everything but
# the segmentor is as in dda_deeplabv2_r101.py (SYN->CS 16 classes).
_base_ = ['./segformer_mit-b5_depth_density.py']
# No reference GMM set exists for the MiT grid (190x320 at 1280x760); fit one
# with tools/fit_gmm.py, which reads the grid from this model and writes here:
#   python tools/fit_gmm.py configs/dda/syn2city_16cls_mit-b5.py \
#       --out work_dirs/gmm/syn2city_16cls_mit-b5.json
gmm_file = 'work_dirs/gmm/syn2city_16cls_mit-b5.json'
model = dict(
    _delete_=True,
    type='DDA',
    data_preprocessor={{_base_.data_preprocessor}},
    segmentor={{_base_.model}},
    discriminator=dict(type='FCDiscriminator', in_channels=16),
    density=dict(type='GMMDensity', params=gmm_file, num_classes=16),
    # DDA's loss weights of SYNTHIA -> Cityscapes 16 classes (expid 1).
    loss_weights=dict(
        seg_src=1.0,
        density_src=0.01,
        depth_src=0.005,
        adv_tgt=0.05,
        density_tgt=0.05),
    adversarial_input='entropy_density',
    source_density_gather='pred')
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=True)
