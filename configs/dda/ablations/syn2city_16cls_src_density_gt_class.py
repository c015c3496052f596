# Ablation: gather the source density target by the ground-truth class instead
# of the predicted class (docs/method.md §13.6).
_base_ = ['../syn2city_16cls.py']
model = dict(source_density_gather='gt')
