# dda_deeplabv2_r101-d8_1xb1-90k_syn2city16-1280x760 (expid 1):
# SYNTHIA -> Cityscapes, 16 classes, (1280, 760) source and target, GMM set
# c16, 96x161 feature grid.
_base_ = [
    '../_base_/models/dda_deeplabv2_r101.py',
    '../_base_/datasets/syn2city_1280x760.py',
    '../_base_/default_runtime.py', '../_base_/schedules/dda_90k.py',
    '../_base_/syn2city16_stage1.py'  # class weights, STEP 3
]
model = dict(segmentor=dict(decode_head=dict(loss_decode=dict(
    class_weight={{_base_.syn2city16_class_weight}}))))
