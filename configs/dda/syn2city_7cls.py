# dda_deeplabv2_r101-d8_1xb1-90k_syn2city7-1280x760 (expid 2):
# SYNTHIA -> Cityscapes, 7 classes, (1280, 760), GMM set c7, 96x161 feature
# grid; class weights and STEP 3 in ../_base_/dda_syn2city7.py.
_base_ = [
    '../_base_/dda_syn2city7.py', '../_base_/datasets/syn2city7_1280x760.py'
]
model = dict(
    segmentor=dict(decode_head=dict(num_classes={{_base_.num_classes}})),
    discriminator=dict(in_channels={{_base_.num_classes}}),
    density=dict(params='c7', num_classes={{_base_.num_classes}}))
