# dda_deeplabv2_r101-d8_1xb1-90k_syn2city7-640x320 (expid 3):
# SYNTHIA -> Cityscapes, 7 classes, low resolution (640, 320), GMM set c7small,
# 41x81 feature grid.
_base_ = [
    '../_base_/models/dda_deeplabv2_r101.py',
    '../_base_/datasets/syn2city7_640x320.py',
    '../_base_/default_runtime.py', '../_base_/schedules/dda_90k.py'
]
model = dict(
    segmentor=dict(
        decode_head=dict(
            num_classes={{_base_.num_classes}},
            loss_decode=dict(
                class_weight=[
                    0.349, 0.462, 11.576, 1.325, 1.993, 3.216, 3.192
                ]))),
    discriminator=dict(in_channels={{_base_.num_classes}}),
    density=dict(params='c7small', num_classes={{_base_.num_classes}}),
    # LAMBDA_DEP_SRC = 0.001 at low resolution (§5.4).
    loss_weights=dict(depth_src=0.001))
# STEP 3: the same component sizes as at full resolution (docs/method.md
# §13.12).
pseudo_label_cfg = dict(
    threshold=0.9, min_count=[1000, 772, 100, 316, 234, 173, 173])
