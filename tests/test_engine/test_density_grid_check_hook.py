"""DensityGridCheckHook: maps computed on the fly vs GMM set vs model grid."""
import mmseg_dda  # noqa: F401
from pathlib import Path
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from mmseg_dda.datasets.transforms.density import ComputeSourceDensityMaps
from mmseg_dda.density.grid import GridMismatchError
from mmseg_dda.engine.hooks import DensityGridCheckHook

CFG = (Path(__file__).resolve().parents[2] / 'configs' / 'dda' /
       'ablations' / 'syn2city_16cls_onthefly_density.py')


def _runner(transform, gmm_grid=(96, 161), density_head=True):
    """The parts of a Runner the hook reads (real config, fake modules)."""
    segmentor = SimpleNamespace(
        with_density_head=density_head, backbone=SimpleNamespace(),
        decode_head=SimpleNamespace())
    model = SimpleNamespace(
        segmentor=segmentor,
        density=SimpleNamespace(grid_hw=gmm_grid, set_name='c16'))
    source = SimpleNamespace(
        pipeline=SimpleNamespace(transforms=[transform]),
        with_density_maps=False)
    return SimpleNamespace(
        model=model, cfg=Config.fromfile(str(CFG)),
        train_dataloader=SimpleNamespace(
            dataset=SimpleNamespace(source=source)))


def test_onthefly_maps_on_the_model_grid_pass():
    # The shipped on-the-fly config: c16, scale (1280, 760) -> 96x161.
    DensityGridCheckHook().before_train(
        _runner(ComputeSourceDensityMaps(gmm='c16', scale=(1280, 760))))


def test_onthefly_maps_on_another_grid_are_refused():
    with pytest.raises(GridMismatchError) as e:
        DensityGridCheckHook().before_train(
            _runner(ComputeSourceDensityMaps(gmm='c16', grid=(95, 160))))
    msg = str(e.value)
    assert 'computed on the fly' in msg and ': 95x160' in msg
    assert "GMM set 'c16': 96x161" in msg
    assert 'at input 760x1280): 96x161' in msg


def test_gmm_on_another_grid_is_refused():
    with pytest.raises(GridMismatchError, match="GMM set 'c16': 41x81"):
        DensityGridCheckHook().before_train(_runner(
            ComputeSourceDensityMaps(gmm='c16', scale=(1280, 760)),
            gmm_grid=(41, 81)))


def test_nothing_to_check_without_density_head():
    DensityGridCheckHook().before_train(_runner(
        ComputeSourceDensityMaps(gmm='c16', grid=(1, 1)),
        density_head=False))


def test_separately_wrapped_segmentor_is_unwrapped():
    """Under MMSeparateDistributedDataParallel the segmentor is a wrapper."""
    from mmengine.model import MMDistributedDataParallel
    runner = _runner(ComputeSourceDensityMaps(gmm='c16', grid=(95, 160)))
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    wrapper.__dict__['_modules'] = {}
    object.__setattr__(wrapper, 'module', runner.model.segmentor)
    runner.model.segmentor = wrapper
    with pytest.raises(GridMismatchError, match='95x160'):
        DensityGridCheckHook().before_train(runner)


def test_strict_gmm_false_only_warns_about_the_gmm_grid():
    hook = DensityGridCheckHook(strict_gmm=False)
    hook.before_train(_runner(
        ComputeSourceDensityMaps(gmm='c16', scale=(1280, 760)),
        gmm_grid=(41, 81)))
    # Maps and model must still agree.
    with pytest.raises(GridMismatchError, match='95x160'):
        hook.before_train(_runner(
            ComputeSourceDensityMaps(gmm='c16', grid=(95, 160)),
            gmm_grid=(41, 81)))
