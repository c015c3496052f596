# Ablation: without the target density loss (LAMBDA_BAL_TAR = 0).
_base_ = ['../syn2city_16cls.py']
model = dict(loss_weights=dict(density_tgt=0.0))
