# Stage 2 (self-training), docs/method.md §8.3: a fresh SGD (one group),
# poly horizon kept at the reference's 90k (§13.11) while training 30k.
_base_ = ['./dda_90k.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4))
poly_horizon = 90000
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0,
        begin=0,
        end=poly_horizon + 1,  # see dda_90k.py
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=30000, val_interval=1000)
