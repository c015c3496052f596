# dda_deeplabv2_r101-d8_1xb1-90k_syn2map7-1280x760 (expid 4):
# SYNTHIA -> Mapillary Vistas, 7 classes, (1280, 760) with resize_with_pad, GMM
# set c7; loss weights, LR_D and STEP 3 in ../_base_/dda_syn2map7.py.
_base_ = [
    '../_base_/dda_syn2map7.py', '../_base_/datasets/syn2map_1280x760.py'
]
model = dict(
    segmentor=dict(decode_head=dict(num_classes={{_base_.num_classes}})),
    discriminator=dict(in_channels={{_base_.num_classes}}),
    density=dict(params='c7', num_classes={{_base_.num_classes}}))
# STEP 3 on the 'selftrain' split (the first 9000 train images), which STEP 4
# trains on.
pseudo_label_cfg = dict(
    dataset=dict(_base_.train_dataloader.dataset.target, ann_file='selftrain'))
