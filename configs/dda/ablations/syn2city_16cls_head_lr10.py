# Ablation: 10x LR on the three heads, as in DADA (docs/method.md §13.1; the
# DDA reference uses one parameter group).
_base_ = ['../syn2city_16cls.py']
optim_wrapper = dict(
    segmentor=dict(
        paramwise_cfg=dict(
            custom_keys={
                'decode_head': dict(lr_mult=10.0),
                'depth_head': dict(lr_mult=10.0),
                'density_head': dict(lr_mult=10.0),
            })))
