"""The pipeline steps as functions: GMM fitting, then STEP 1, on a config
object (no tool, no config file), tiny synthesised SYNTHIA data."""
import mmseg_dda  # noqa: F401

import json

import pytest
from mmengine.config import Config

from mmseg_dda.apis import (StepInputError, fit_gmm_priors,
                            generate_source_density_maps)
from mmseg_dda.datasets.formats import load_density_maps
from mmseg_dda.density import load_gmm_params

from _fake_synthia import write_fake_synthia

def _cfg(root, params):
    return Config(dict(
        default_scope='mmseg',
        model=dict(density=dict(params=params, num_classes=7)),
        train_dataloader=dict(dataset=dict(
            type='SourceTargetDataset',
            source=dict(type='SynthiaDataset', data_root=str(root),
                        num_classes=7, ann_file='', with_density_maps=True,
                        pipeline=[]),
            target=dict(type='CityscapesUDADataset')))))


def test_fit_then_density_maps_from_a_config_object(tmp_path):
    root = tmp_path / 'SYNTHIA'
    write_fake_synthia(root)
    gmm = tmp_path / 'fitted.json'
    lines = []
    content = fit_gmm_priors(_cfg(root, 'c7'), str(gmm), set_name='tiny',
                             samples_per_class=50, seed=1, grid=(10, 18),
                             log=lines.append)
    assert json.loads(gmm.read_text()) == json.loads(json.dumps(content))
    assert load_gmm_params(str(gmm)).grid_hw == (10, 18)
    assert lines[0].startswith('feature grid 10x18') and \
        lines[-1].startswith(f'wrote {gmm}')

    cfg = _cfg(root, str(gmm))  # no segmentor: the GMM set's grid
    lines.clear()
    summary = generate_source_density_maps(cfg, out=str(tmp_path / 'maps'),
                                           log=lines.append)
    assert (summary['done'], summary['failed']) == (3, 0)
    assert lines[0].startswith('feature grid 10x18 (grid of GMM set')
    maps = load_density_maps(str(tmp_path / 'maps' / '0000000.npy'), 7)
    assert maps.shape == (7, 10, 18)

    # A mismatch is a ValueError for API callers (the tool exits with it).
    with pytest.raises(StepInputError, match='has 7 classes but the '
                       '--num-classes has 16'):
        generate_source_density_maps(cfg, out=str(tmp_path / 'maps'),
                                     num_classes=16)
    assert issubclass(StepInputError, ValueError)
