# segformer_mit-b5_1xb1-30k_syn2city_16cls-selftrain (STEP 4 of
# syn2city_16cls_mit-b5): target images with the STEP-3 pseudo-labels only,
# unweighted cross-entropy, a fresh AdamW (heads at 10x LR, warm-up 1500
# iterations, then linear decay over the 30k iterations). Starts from the
# last stage-1 checkpoint (written by STEP 2); another one, e.g. the best on
# val, is passed with
#   tools/train.py configs/dda/syn2city_16cls_mit-b5_selftrain.py \
#       --cfg-options \
#       load_from=work_dirs/syn2city_16cls_mit-b5/best_mIoU_iter_N.pth
# and an interrupted run continues from its own work_dir with --resume
# (load_from only initialises a fresh run).
_base_ = [
    '../_base_/models/segformer_mit-b5_depth_density.py',
    '../_base_/datasets/syn2city_1280x760.py', '../_base_/default_runtime.py',
    '../_base_/schedules/selftrain_adamw_poly10warm_30k.py'
]
load_from = 'work_dirs/syn2city_16cls_mit-b5/iter_90000.pth'
pseudo_label_dir = 'work_dirs/syn2city_16cls_mit-b5/pseudo_labels'
model = dict(
    backbone=dict(init_cfg=None),  # weights come from load_from
    decode_head=dict(num_classes=16))
selftrain_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeWithPad', scale={{_base_.input_scale}}, keep_ratio=False),
    # Pseudo-labels are stored at the input size, so they load after resize.
    dict(type='LoadMappedAnnotations'),
    dict(type='PackDDAInputs'),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='CityscapesUDADataset',
        data_root={{_base_.cityscapes_root}},
        split='train',
        num_classes=16,
        ann_file='train',
        pseudo_label_dir=pseudo_label_dir,
        pipeline=selftrain_pipeline))
