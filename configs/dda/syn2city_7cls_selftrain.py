# dda-selftrain_deeplabv2_r101-d8_1xb1-10k_syn2city7-1280x760: STEP 4 of
# syn2city_7cls.py, self-training on the target images with its STEP-3
# pseudo-labels (docs/method.md §8.3; docs/configs.md: load_from, --resume).
_base_ = [
    '../_base_/models/deeplabv2_r101_depth_density_selftrain.py',
    '../_base_/datasets/syn2city7_1280x760_selftrain.py',
    '../_base_/default_runtime.py', '../_base_/schedules/selftrain_30k.py'
]
load_from = 'work_dirs/syn2city_7cls/iter_90000.pth'
pseudo_label_dir = 'work_dirs/syn2city_7cls/pseudo_labels'
model = dict(decode_head=dict(num_classes={{_base_.num_classes}}))
train_dataloader = dict(dataset=dict(pseudo_label_dir=pseudo_label_dir))
# MAX_ITERS_SELFTRAIN is 10000 for this setting (reference commit 8c07c96).
train_cfg = dict(max_iters=10000)
