# Stage 2 (self-training), docs/method.md §8.3: a fresh SGD (one group), the
# segmentor optimiser of stage 1, with the poly horizon kept at the
# reference's 90k (§13.11) while training 30k.
_base_ = ['./dda_90k.py']
optim_wrapper = dict(_delete_=True, **_base_.optim_wrapper.segmentor)
poly_horizon = 90000  # param_scheduler of dda_90k.py
train_cfg = dict(max_iters=30000)
