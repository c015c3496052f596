# What every SYNTHIA -> Cityscapes 16-class stage-1 row shares whatever the
# network (expid 1: syn2city_16cls.py, syn2city_16cls_mit-b5.py): the class
# weights and the STEP-3 settings. The leaf sets the weights in its model:
#   loss_decode=dict(class_weight={{_base_.syn2city16_class_weight}})
# "Statistics in source domain" class weights of the reference, expid 1
# (docs/method.md §5.3).
syn2city16_class_weight = [
    0.327, 0.313, 0.206, 22.427, 22.558, 5.811, 155.643, 59.528, 0.586, 0.882,
    1.423, 12.871, 1.488, 3.955, 29.164, 27.563
]
# STEP 3 (tools/gen_pseudo_labels.py): confidence 0.9 for every class, then
# removal of 8-connected components smaller than these sizes (§8.1, §8.2).
pseudo_label_cfg = dict(
    threshold=0.9,
    min_count=[
        3165, 3311, 5000, 89, 89, 219, 50, 61, 1788, 1202, 762, 123, 730, 302,
        78, 81
    ])
