# Stage 1 (adversarial) schedule for transformer backbones: the SegFormer /
# DAFormer optimiser for the segmentor, DDA's Adam and poly schedule for the
# discriminator, DDA's 90k iterations (validation and checkpoints every 1000).
#
# Segmentor (mmseg configs/segformer/*, DAFormer configs/_base_/schedules/
# adamw.py + poly10warm.py):
# * AdamW, lr 6e-5, betas (0.9, 0.999), weight decay 0.01;
# * paramwise_cfg: every parameter whose name contains 'head' (decode_head,
#   depth_head, density_head) at 10x LR; 'norm' and 'pos_block' without
#   weight decay (MiT has no pos_block; kept as in the family's configs);
# * linear warm-up from 1e-6 x LR over iterations 0..1500, then poly decay
#   with power 1.0 (linear) to 0 (eta_min 0, DAFormer min_lr 0.0). MMEngine's
#   PolyLR reaches eta_min at end - 1, hence end = 90000 + 1 as in
#   dda_90k.py: lr_i = lr * (1 - (i - 1500) / 88500) for i >= 1500.
# Discriminator: DDA's Adam (lr 1e-3, betas (0.9, 0.99)) with DDA's poly
# (power 0.9, horizon 90000); a warm-up would let it fall behind.
_base_ = ['./dda_90k.py']
max_iters = 90000
warmup_iters = 1500
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
        paramwise_cfg=dict(
            custom_keys={
                'head': dict(lr_mult=10.0),
                'pos_block': dict(decay_mult=0.0),
                'norm': dict(decay_mult=0.0)
            })),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.99))))
# One scheduler list per optimiser (MMEngine: a dict keyed like the
# OptimWrapperDict).
param_scheduler = dict(
    _delete_=True,
    segmentor=[
        dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
             end=warmup_iters),
        dict(type='PolyLR', power=1.0, eta_min=0.0, begin=warmup_iters,
             end=max_iters + 1, by_epoch=False)
    ],
    discriminator=[
        dict(type='PolyLR', power=0.9, eta_min=0, begin=0,
             end=max_iters + 1, by_epoch=False)
    ])
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=1000)
