"""The pipeline steps as functions: GMM fitting, then STEP 1, on a config
object (no tool, no config file), tiny synthesised SYNTHIA data."""
import mmseg_dda  # noqa: F401

import json

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmseg_dda.apis import (StepInputError, fit_gmm_priors,
                            generate_source_density_maps)
from mmseg_dda.density import load_density_maps, load_gmm_params

RAW_OF_7 = [3, 2, 7, 6, 1, 10, 8]  # one raw SYNTHIA id per train id


def _make_synthia(root, n=3, size=(40, 72)):
    """Class c fills vertical band c, at inverse depth about 10 * (c + 1)."""
    rng = np.random.default_rng(0)
    for sub in ('RGB', 'parsed_LABELS', 'Depth'):
        (root / sub).mkdir(parents=True)
    h, w = size
    band = np.tile(np.arange(w) * 7 // w, (h, 1))
    for i in range(n):
        name = f'{i:07d}.png'
        Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(root / 'RGB' /
                                                            name)
        Image.fromarray(np.array(RAW_OF_7, np.uint8)[band]).save(
            root / 'parsed_LABELS' / name)
        inv = 10. * (band + 1) + rng.normal(0, 1, (h, w))
        cv2.imwrite(str(root / 'Depth' / name),
                    np.round(65536 / inv - 1).astype(np.uint16))


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
    _make_synthia(root)
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
