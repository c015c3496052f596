# Ablation: without both density losses; the density head is then trained by
# the adversarial gradient only.
_base_ = ['../syn2city_16cls.py']
model = dict(loss_weights=dict(density_src=0.0, density_tgt=0.0))
