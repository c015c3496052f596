# Baseline on the toy trees of tools/make_toy_data.py: the same narrow
# segmentor trained on the toy source only (segmentation CE + depth BerHu),
# no adaptation; model.init_cfg = Pretrained continues from a checkpoint.
_base_ = [
    '../_base_/models/deeplabv2_r101_depth_density.py',
    '../_base_/datasets/toy_syn2city.py', '../_base_/default_runtime.py',
    '../_base_/schedules/selftrain_30k.py'
]
# The narrow network of configs/_base_/models/toy_deeplabv2_r50_narrow.py
# (written out: the depth BerHu is weighted here like LAMBDA_DEP_SRC of the
# DDA run, §5.4, where DDA applies the weight itself).
toy_head_init = dict(type='Kaiming', layer='Conv2d')
model = dict(
    backbone=dict(depth=50, stem_channels=16, base_channels=16,
                  init_cfg=None),
    decode_head=dict(in_channels=512),
    depth_head=dict(
        in_channels=512, channels=128, proj_channels=32,
        init_cfg=toy_head_init, loss_decode=dict(loss_weight=0.005)),
    density_head=dict(
        in_channels=512, channels=128, proj_channels=32,
        init_cfg=toy_head_init))
max_iters = 400
optim_wrapper = dict(optimizer=dict(lr=0.01))
# The reference's poly decay over the short run.
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters + 1)]
train_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset={{_base_.train_dataloader.dataset.source}})
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, save_best=None, max_keep_ckpts=1))
