# dda-selftrain_segformer_mit-b5_1xb1-30k_syn2city16-1280x760: STEP 4 of
# syn2city_16cls_mit-b5.py, self-training on the target images with its
# STEP-3 pseudo-labels; a fresh AdamW (heads at 10x LR, warm-up 1500
# iterations, then linear decay over the 30k iterations). docs/configs.md
# for load_from and --resume.
_base_ = [
    '../_base_/models/segformer_mit-b5_depth_density_selftrain.py',
    '../_base_/datasets/syn2city_1280x760_selftrain.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/selftrain_adamw_poly10warm_30k.py'
]
load_from = 'work_dirs/syn2city_16cls_mit-b5/iter_90000.pth'
pseudo_label_dir = 'work_dirs/syn2city_16cls_mit-b5/pseudo_labels'
model = dict(decode_head=dict(num_classes={{_base_.num_classes}}))
train_dataloader = dict(dataset=dict(pseudo_label_dir=pseudo_label_dir))
