# STEP 4 on the toy trees of tools/make_toy_data.py: self-training on the toy
# Cityscapes train images with the STEP-3 pseudo-labels, starting from a DDA
# checkpoint (load_from, pseudo_label_dir: pass your own).
_base_ = [
    '../_base_/models/deeplabv2_r101_depth_density.py',
    '../_base_/models/toy_deeplabv2_r50_narrow.py',
    '../_base_/datasets/toy_syn2city.py', '../_base_/default_runtime.py',
    '../_base_/schedules/selftrain_30k.py'
]
model = {{_base_.toy_segmentor}}
load_from = 'demo_output/work_dirs/dda/iter_400.pth'
pseudo_label_dir = 'demo_output/work_dirs/dda/pseudo_labels'
max_iters = 200
optim_wrapper = dict(optimizer=dict(lr=0.005))
# The reference's poly decay over the short run.
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters + 1)]
train_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='CityscapesUDADataset',
        data_root=_base_.data_root + '/cityscapes',
        split='train',
        num_classes=16,
        pseudo_label_dir=pseudo_label_dir,
        pipeline=_base_.selftrain_pipeline))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, save_best=None, max_keep_ckpts=1))
