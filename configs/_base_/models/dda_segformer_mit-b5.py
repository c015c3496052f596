# dda_segformer_mit-b5: the SegFormer MiT-B5 depth/density segmentor wrapped
# with DDA's FC discriminator and GMM depth-distribution prior
# (dda_wrapper.py); only the GMM set differs from dda_deeplabv2_r101.py.
_base_ = ['./segformer_mit-b5_depth_density.py', './dda_wrapper.py']
# No reference GMM set exists for the MiT grid (190x320 at 1280x760); fit one
# with tools/fit_gmm.py, which reads the grid from this model and writes here:
#   python tools/fit_gmm.py configs/dda/syn2city_16cls_mit-b5.py \
#       --out work_dirs/gmm/syn2city_16cls_mit-b5.json
gmm_file = 'work_dirs/gmm/syn2city_16cls_mit-b5.json'
model = dict(
    _delete_=True,
    data_preprocessor={{_base_.data_preprocessor}},
    segmentor={{_base_.model}},
    **_base_.dda_wrapper)
model['density'] = dict(model['density'], params=gmm_file)
model_wrapper_cfg = dict(_delete_=True, **_base_.dda_model_wrapper_cfg)
