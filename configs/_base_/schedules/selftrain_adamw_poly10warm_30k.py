# Stage 2 (self-training) schedule for transformer backbones: a fresh AdamW
# with the SegFormer / DAFormer conventions of dda_adamw_poly10warm_90k.py
# (lr 6e-5, betas (0.9, 0.999), weight decay 0.01, heads at 10x LR, no decay
# on norms; linear warm-up 1500 iterations, then linear decay to 0 at the end
# of the 30k iterations of DDA's self-training).
_base_ = ['./dda_90k.py']
max_iters = 30000
warmup_iters = 1500
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'head': dict(lr_mult=10.0),
            'pos_block': dict(decay_mult=0.0),
            'norm': dict(decay_mult=0.0)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', power=1.0, eta_min=0.0, begin=warmup_iters,
         end=max_iters + 1, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=1000)
