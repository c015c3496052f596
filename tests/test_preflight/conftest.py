"""Fixtures of the preflight tests: the tiny DDA config on private data."""
import pytest


@pytest.fixture
def tiny_cfg(tiny_dda, tmp_path):
    """The tiny DDA config (toy data, STEP-1 maps) with a work_dir under
    ``tmp_path``; the data is the shared read-only tree."""
    from mmengine.config import Config
    cfg = Config.fromfile(tiny_dda['config'])
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


@pytest.fixture
def own_data_cfg(tiny_cfg, tiny_dda, tmp_path):
    """``tiny_cfg`` reading a private copy of the toy data (to damage):
    returns ``(cfg, synthia_root, cityscapes_root)``."""
    from _helpers import copy_tree
    syn = copy_tree(tiny_dda['synthia'], tmp_path / 'synthia')
    cs = copy_tree(tiny_dda['cityscapes'], tmp_path / 'cityscapes')
    tiny_cfg.train_dataloader.dataset.source.data_root = str(syn)
    tiny_cfg.train_dataloader.dataset.target.data_root = str(cs)
    tiny_cfg.val_dataloader.dataset.data_root = str(cs)
    return tiny_cfg, syn, cs
