# dda_deeplabv2_r101-d8_1xb1-90k_syn2city7-640x320 (expid 3):
# SYNTHIA -> Cityscapes, 7 classes, low resolution (640, 320), GMM set c7small,
# 41x81 feature grid; class weights and STEP 3 as in expid 2
# (../_base_/dda_syn2city7.py).
_base_ = [
    '../_base_/dda_syn2city7.py', '../_base_/datasets/syn2city7_640x320.py'
]
model = dict(
    segmentor=dict(decode_head=dict(num_classes={{_base_.num_classes}})),
    discriminator=dict(in_channels={{_base_.num_classes}}),
    density=dict(params='c7small', num_classes={{_base_.num_classes}}),
    # LAMBDA_DEP_SRC = 0.001 at low resolution (§5.4).
    loss_weights=dict(depth_src=0.001))
