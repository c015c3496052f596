# segformer_mit-b5_depth_density.py for STEP 4 (self-training, docs/method.md
# §8.3): the weights come from the stage-1 checkpoint (load_from), not from
# ImageNet.
_base_ = ['./segformer_mit-b5_depth_density.py']
model = dict(backbone=dict(init_cfg=None))
