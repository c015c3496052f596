# STEP 2 on the toy trees of tools/make_toy_data.py: DDA adversarial training
# on toy SYNTHIA -> toy Cityscapes, narrow network, CPU-sized schedule. The
# GMM prior is fitted on the toy source (tools/fit_gmm.py) because the
# reference sets describe the real SYNTHIA at 96x161. The demo study
# (tools/run_demo.py, docs/demo.md) builds its narrow network from this
# config (mmseg_dda/demo/model.py) with 7 classes.
_base_ = [
    '../_base_/models/dda_deeplabv2_r101.py',
    '../_base_/models/toy_deeplabv2_r50_narrow.py',
    '../_base_/datasets/toy_syn2city.py', '../_base_/default_runtime.py',
    '../_base_/schedules/dda_90k.py'
]
gmm_file = 'demo_output/gmm_toy.json'
model = dict(
    segmentor={{_base_.toy_segmentor}},
    density=dict(params=gmm_file),
    # Reference loss weights of expid 1 (§5.4); unweighted CE because the
    # reference class weights are statistics of the real SYNTHIA.
)
max_iters = 400
# A short CPU run needs a larger step than the reference's 2.5e-4 over 90k.
optim_wrapper = dict(
    segmentor=dict(optimizer=dict(lr=0.01)),
    discriminator=dict(optimizer=dict(lr=1e-4)))
# The reference's poly decay over the short run.
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters + 1)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, save_best=None, max_keep_ckpts=1))
pseudo_label_cfg = dict(
    threshold=0.9,
    # The reference sizes (expid 1) are for 760x1280 labels; the toy input is
    # 190x320, i.e. 16x fewer pixels.
    min_count=[198, 207, 312, 6, 6, 14, 3, 4, 112, 75, 48, 8, 46, 19, 5, 5])
