# Stage 2 (self-training) schedule for transformer backbones: a fresh AdamW
# with the SegFormer / DAFormer conventions of dda_adamw_poly10warm_90k.py
# (lr 6e-5, betas (0.9, 0.999), weight decay 0.01, heads at 10x LR, no decay
# on norms; linear warm-up 1500 iterations, then linear decay to 0 at the end
# of the 30k iterations of DDA's self-training).
_base_ = ['./dda_adamw_poly10warm_90k.py']
max_iters = 30000
optim_wrapper = dict(_delete_=True, **_base_.optim_wrapper.segmentor)
# The segmentor's warm-up and linear decay, the decay ending at 30k.
param_scheduler = [
    _base_.param_scheduler.segmentor[0],
    dict(_base_.param_scheduler.segmentor[1], end=max_iters + 1)
]
train_cfg = dict(max_iters=max_iters)
