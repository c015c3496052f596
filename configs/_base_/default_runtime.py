# Runtime shared by every config: registries, logging, checkpoints, seeds.
default_scope = 'mmseg'
custom_imports = dict(imports=['mmseg_dda'], allow_failed_imports=False)
# The project's runner: checked checkpoint loading, resume that states what
# changed, a concise console (mmseg_dda/engine/runner/dda_runner.py).
runner_type = 'DDARunner'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to 'gloo' on machines without a GPU.
    dist_cfg=dict(backend='nccl'),
    # glibc keeps freed activation memory for the next step instead of
    # page-faulting it in again (mmseg_dda/utils/malloc_tuning.py); results
    # are unchanged. dict() keeps glibc's defaults.
    malloc_cfg=dict(mmap_max=0, trim_threshold=2**31 - 1),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# Seed 1234 as in the reference (§6.1).
randomness = dict(seed=1234)
# Checkpoints stay loadable with torch.load(weights_only=True).
custom_hooks = [dict(type='PlainCheckpointHook')]
