# deeplabv2_r101-d8_1xb1-30k_syn2map_7cls_small-selftrain (STEP 4 of syn2map_7cls_small): target images with
# the STEP-3 pseudo-labels only, unweighted cross-entropy, fresh SGD, poly
# horizon 90k (§8.3). Starts from the last stage-1 checkpoint (written by
# STEP 2); another one, e.g. the best on val, is passed with
#   tools/train.py configs/dda/syn2map_7cls_small_selftrain.py \
#       --cfg-options \
#       load_from=work_dirs/syn2map_7cls_small/best_mIoU_iter_N.pth
# and an interrupted run continues from its own work_dir with --resume
# (load_from only initialises a fresh run).
_base_ = [
    '../_base_/models/deeplabv2_r101_depth_density.py',
    '../_base_/datasets/syn2map_640x320.py', '../_base_/default_runtime.py',
    '../_base_/schedules/selftrain_30k.py'
]
load_from = 'work_dirs/syn2map_7cls_small/iter_90000.pth'
pseudo_label_dir = 'work_dirs/syn2map_7cls_small/pseudo_labels'
model = dict(
    backbone=dict(init_cfg=None),  # weights come from load_from
    decode_head=dict(num_classes=7))
selftrain_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeWithPad', scale={{_base_.input_scale}}, keep_ratio=True),
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
        type='MapillaryUDADataset',
        data_root={{_base_.mapillary_root}},
        split='train',
        num_classes=7,
        ann_file='selftrain',
        pseudo_label_dir=pseudo_label_dir,
        pipeline=selftrain_pipeline))
train_cfg = dict(max_iters=30000)
