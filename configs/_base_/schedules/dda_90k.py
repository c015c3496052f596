# Stage 1 (adversarial), docs/method.md §6.1: SGD for the segmentor, Adam
# for the discriminator, one poly schedule (power 0.9, min LR 0, horizon 90k)
# applied to each optimiser with its own base LR; 90k iterations, validation
# and checkpoints every 1000.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        # One parameter group, no 10x head LR (§13.1).
        optimizer=dict(
            type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4)),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.99))))
param_scheduler = [
    # lr_i = base * (1 - i / 90000) ** 0.9 at iteration i (§13.24): MMEngine's
    # PolyLR reaches eta_min at end - 1, hence end = 90000 + 1. eta_min=0, not
    # MMSeg's usual 1e-4.
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0,
        begin=0,
        end=90001,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=90000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # "best" (model selection on val, as in the reference) and "last" are
    # both kept and reported separately (§13.15). Crash-safe writes
    # (mmseg_dda/engine/hooks/atomic_checkpoint_hook.py).
    checkpoint=dict(
        type='AtomicCheckpointHook',
        by_epoch=False,
        interval=1000,
        max_keep_ckpts=1,
        save_last=True,
        save_best='mIoU',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
