# Ablation: the discriminator sees the entropy map only (ADVENT-style input).
_base_ = ['../syn2city_16cls.py']
model = dict(adversarial_input='entropy')
