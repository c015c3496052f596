"""Helpers of the robustness tests: a tiny DDA config on the toy data."""
from pathlib import Path

import _helpers

#: Network input (W, H) of the tiny config; feature grid 7x12.
INPUT_SCALE = (96, 56)
#: The end of the tiny config: 4 iterations, a checkpoint every 2 (the last
#: one kept), no validation or test, deterministic.
_RUNTIME = '''val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
train_cfg = dict(max_iters=4, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=1, save_last=True),
    visualization=dict(draw=False))
randomness = dict(seed=1234, deterministic=True)
env_cfg = dict(cudnn_benchmark=False)
pseudo_label_cfg = dict(min_count=[2] * 16)
'''


def write_gmm_json(path: Path, num_classes: int, grid_hw, seed: int = 1):
    """A random but well-conditioned GMM set on ``grid_hw`` (toy data)."""
    _helpers.write_toy_gmm(path, num_classes, grid_hw, seed=seed,
                           inv_depth=(20, 80), random_shape=True)
    return path


def write_tiny_dda_config(folder: Path, toy: dict, extra: str = '') -> Path:
    """``configs/demo/toy_syn2city_dda.py`` shrunk for seconds-long runs.

    ``_helpers.write_tiny_dda_config`` with a narrower ResNet-50 layout (64
    layer4 channels), 56x96 input, source density maps computed on the fly
    from a GMM fitted to nothing (random, on the 7x12 feature grid,
    ``folder/gmm_tiny.json``) and the runtime above, then ``extra``.

    Returns:
        Path: ``folder/tiny_dda.py``.
    """
    import mmseg_dda  # noqa: F401
    from mmseg_dda.datasets import feature_grid_size
    grid = feature_grid_size(INPUT_SCALE[::-1])
    gmm = write_gmm_json(folder / 'gmm_tiny.json', 16, grid)
    return Path(_helpers.write_tiny_dda_config(
        folder / 'tiny_dda.py', toy, str(gmm), density_map_dir=None,
        scale=INPUT_SCALE,
        segmentor=dict(width=2, channels=8, proj_channels=4),
        disc_channels=8, runtime=_RUNTIME + extra))
