# dda_deeplabv2_r101-d8_1xb1-90k_syn2map7-640x320 (expid 5):
# SYNTHIA -> Mapillary Vistas, 7 classes, low resolution (640, 320) padded, GMM
# set c7small; loss weights, LR_D and STEP 3 as in expid 4
# (../_base_/dda_syn2map7.py).
_base_ = [
    '../_base_/dda_syn2map7.py', '../_base_/datasets/syn2map_640x320.py'
]
model = dict(
    segmentor=dict(decode_head=dict(num_classes={{_base_.num_classes}})),
    discriminator=dict(in_channels={{_base_.num_classes}}),
    density=dict(params='c7small', num_classes={{_base_.num_classes}}))
# STEP 3 on the 'selftrain' split (the first 9000 train images), which STEP 4
# trains on.
pseudo_label_cfg = dict(
    dataset=dict(_base_.train_dataloader.dataset.target, ann_file='selftrain'))
