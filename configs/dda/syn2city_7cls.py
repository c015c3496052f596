# dda_deeplabv2_r101-d8_1xb1-90k_syn2city7-1280x760 (expid 2):
# SYNTHIA -> Cityscapes, 7 classes, (1280, 760), GMM set c7, 96x161 feature
# grid.
_base_ = [
    '../_base_/models/dda_deeplabv2_r101.py',
    '../_base_/datasets/syn2city7_1280x760.py',
    '../_base_/default_runtime.py', '../_base_/schedules/dda_90k.py'
]
model = dict(
    segmentor=dict(
        decode_head=dict(
            num_classes={{_base_.num_classes}},
            # Reference class weights for expids 2 and 3 (§5.3).
            loss_decode=dict(
                class_weight=[
                    0.349, 0.462, 11.576, 1.325, 1.993, 3.216, 3.192
                ]))),
    discriminator=dict(in_channels={{_base_.num_classes}}),
    density=dict(params='c7', num_classes={{_base_.num_classes}}))
# STEP 3: the same component sizes at low resolution (docs/method.md §13.12).
pseudo_label_cfg = dict(
    threshold=0.9, min_count=[1000, 772, 100, 316, 234, 173, 173])
