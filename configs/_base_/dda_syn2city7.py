# DDA on DeepLab-v2 for SYNTHIA -> Cityscapes with 7 classes: the settings
# that expids 2 (1280x760) and 3 (640x320) share. Each leaf adds the dataset
# base of its input size (which sets the class count) and its GMM set.
_base_ = [
    './models/dda_deeplabv2_r101.py', './default_runtime.py',
    './schedules/dda_90k.py'
]
model = dict(
    segmentor=dict(
        decode_head=dict(
            # Reference class weights for expids 2 and 3 (docs/method.md
            # §5.3).
            loss_decode=dict(
                class_weight=[
                    0.349, 0.462, 11.576, 1.325, 1.993, 3.216, 3.192
                ]))))
# STEP 3: the same component sizes at both input sizes (docs/method.md
# §13.12).
pseudo_label_cfg = dict(
    threshold=0.9, min_count=[1000, 772, 100, 316, 234, 173, 173])
