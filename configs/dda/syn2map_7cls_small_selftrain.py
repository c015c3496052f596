# dda-selftrain_deeplabv2_r101-d8_1xb1-30k_syn2map7-640x320: STEP 4 of
# syn2map_7cls_small.py, self-training on the target images with its STEP-3
# pseudo-labels (docs/method.md §8.3; docs/configs.md: load_from, --resume).
_base_ = [
    '../_base_/models/deeplabv2_r101_depth_density_selftrain.py',
    '../_base_/datasets/syn2map_640x320_selftrain.py',
    '../_base_/default_runtime.py', '../_base_/schedules/selftrain_30k.py'
]
load_from = 'work_dirs/syn2map_7cls_small/iter_90000.pth'
pseudo_label_dir = 'work_dirs/syn2map_7cls_small/pseudo_labels'
model = dict(decode_head=dict(num_classes={{_base_.num_classes}}))
train_dataloader = dict(dataset=dict(pseudo_label_dir=pseudo_label_dir))
