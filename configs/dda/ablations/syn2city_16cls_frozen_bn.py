# Ablation: BatchNorm in eval mode (frozen running statistics) instead of the
# reference's train-mode BN with frozen affine parameters (docs/method.md
# §13.2).
_base_ = ['../syn2city_16cls.py']
model = dict(segmentor=dict(backbone=dict(norm_eval=True)))
