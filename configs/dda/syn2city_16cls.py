# dda_deeplabv2_r101-d8_1xb1-90k_syn2city16-1280x760 (expid 1):
# SYNTHIA -> Cityscapes, 16 classes, (1280, 760) source and target, GMM set
# c16, 96x161 feature grid.
_base_ = [
    '../_base_/models/dda_deeplabv2_r101.py',
    '../_base_/datasets/syn2city_1280x760.py',
    '../_base_/default_runtime.py', '../_base_/schedules/dda_90k.py'
]
model = dict(
    segmentor=dict(
        decode_head=dict(
            # "Statistics in source domain" class weights of the reference,
            # expid 1 (§5.3).
            loss_decode=dict(class_weight=[
                0.327, 0.313, 0.206, 22.427, 22.558, 5.811, 155.643, 59.528,
                0.586, 0.882, 1.423, 12.871, 1.488, 3.955, 29.164, 27.563
            ]))))
# STEP 3 (tools/gen_pseudo_labels.py): confidence 0.9 for every class, then
# removal of 8-connected components smaller than these sizes (§8.1, §8.2).
pseudo_label_cfg = dict(
    threshold=0.9,
    min_count=[
        3165, 3311, 5000, 89, 89, 219, 50, 61, 1788, 1202, 762, 123, 730, 302,
        78, 81
    ])
