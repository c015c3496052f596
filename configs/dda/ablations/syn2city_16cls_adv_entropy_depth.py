# Ablation: entropy x predicted inverse depth as the discriminator input
# (DADA-style) instead of entropy x predicted density.
_base_ = ['../syn2city_16cls.py']
model = dict(adversarial_input='entropy_depth')
