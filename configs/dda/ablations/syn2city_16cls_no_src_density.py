# Ablation: without the source density loss (LAMBDA_BAL_SRC = 0).
_base_ = ['../syn2city_16cls.py']
model = dict(loss_weights=dict(density_src=0.0))
