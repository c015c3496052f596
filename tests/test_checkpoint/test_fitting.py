"""mmseg_dda.checkpoint.fitting: a checkpoint must fill the model, in either
layout, whoever loads it."""
import logging

import pytest
import torch

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import (IncompleteCheckpointError, fit_state_dict,
                                  load_model_checkpoint)

from _tiny_models import build_tiny, tiny_dda_cfg, tiny_segmentor_cfg

def _build(kind: str, seed: int):
    segmentor = tiny_segmentor_cfg(16, backbone=dict(init_cfg=None))
    return build_tiny(segmentor if kind == 'segmentor' else
                      tiny_dda_cfg(16, segmentor), seed)


def _segmentor_of(model):
    return model.segmentor if hasattr(model, 'discriminator') else model


@pytest.mark.parametrize('src,dst', [('segmentor', 'dda'),
                                     ('dda', 'segmentor'),
                                     ('dda', 'dda'),
                                     ('segmentor', 'segmentor')])
def test_both_layouts_load_into_both_models(src, dst, caplog):
    source = _build(src, seed=1)
    target = _build(dst, seed=2)
    logger = logging.getLogger('test_checked_loading')
    with caplog.at_level(logging.INFO, logger='test_checked_loading'):
        fitted = fit_state_dict(target, source.state_dict(), 'a.pth',
                                allow_missing_discriminator=True,
                                logger=logger)
    strict = not (src == 'segmentor' and dst == 'dda')
    result = target.load_state_dict(fitted, strict=strict)
    if not strict:
        assert all(k.startswith('discriminator.')
                   for k in result.missing_keys)
        assert 'the discriminator keeps its initialisation' in caplog.text
    if src == 'dda' and dst == 'segmentor':
        assert 'DDA checkpoint: its segmentor part is used' in caplog.text
    want = _segmentor_of(source).state_dict()
    got = _segmentor_of(target).state_dict()
    assert want.keys() == got.keys()
    for key in want:
        assert torch.equal(want[key], got[key]), key


def test_missing_discriminator_refused_when_resuming():
    target = _build('dda', seed=2)
    seg_only = _build('segmentor', seed=1).state_dict()
    with pytest.raises(IncompleteCheckpointError,
                       match=r'a\.pth does not fit the DDA model of the '
                       r'config: \d+ tensors: discriminator \(\d+\); e\.g\. '
                       r'discriminator\.0\.weight'):
        fit_state_dict(target, seg_only, 'a.pth',
                       allow_missing_discriminator=False)


def test_partial_checkpoint_lists_missing_keys():
    target = _build('segmentor', seed=2)
    state = target.state_dict()
    del state['decode_head.conv2d_list.0.weight']
    for key in [k for k in state if k.endswith('num_batches_tracked')]:
        del state[key]  # not required (evaluation does not read them)
    with pytest.raises(IncompleteCheckpointError) as info:
        fit_state_dict(target, state, 'b.pth',
                       allow_missing_discriminator=True)
    assert ('1 tensors: decode_head (1); e.g. '
            'decode_head.conv2d_list.0.weight of the model are not in the '
            'checkpoint') in str(info.value)


def test_module_versions_follow_the_keys():
    source = _build('dda', seed=1)
    state = source.state_dict()
    assert 'version' in state._metadata['segmentor.backbone.bn1']
    fitted = fit_state_dict(_build('segmentor', seed=2), state, 'c.pth',
                            allow_missing_discriminator=True)
    assert fitted._metadata['backbone.bn1'] == \
        state._metadata['segmentor.backbone.bn1']
    assert fitted._metadata[''] == state._metadata['segmentor']
    assert not any(k.startswith('discriminator') for k in fitted._metadata)


def test_discriminator_of_other_width_is_refused():
    source = _build('dda', seed=1)
    state = source.state_dict()
    state['discriminator.0.weight'] = torch.zeros(4, 7, 4, 4)
    with pytest.raises(IncompleteCheckpointError,
                       match=r'd\.pth: 1 discriminator tensors have other '
                       r'shapes than the model, e\.g\. discriminator\.0\.'
                       r'weight: checkpoint \(4, 7, 4, 4\) vs model '
                       r'\(4, 16, 4, 4\)'):
        fit_state_dict(_build('dda', seed=2), state, 'd.pth',
                       allow_missing_discriminator=True)


def test_separately_wrapped_children(tmp_path):
    """Distributed DDA: the Runner's model has DDP-wrapped children."""
    import torch.distributed as dist
    from mmengine.model import MMSeparateDistributedDataParallel
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip('no gloo backend')
    started = not dist.is_initialized()
    if started:
        dist.init_process_group(
            'gloo', init_method=f'file://{tmp_path / "rendezvous"}',
            rank=0, world_size=1)
    try:
        model = MMSeparateDistributedDataParallel(_build('dda', seed=2),
                                                  broadcast_buffers=False)
        assert any('.module.' in k for k in model.module.state_dict())
        source = _build('segmentor', seed=1)
        fitted = fit_state_dict(model.module, source.state_dict(), 'e.pth',
                                allow_missing_discriminator=True)
        assert not any('.module.' in k for k in fitted)
        assert 'segmentor.decode_head.conv2d_list.0.weight' in fitted
    finally:
        if started:
            dist.destroy_process_group()


def test_load_model_checkpoint_for_tools(tmp_path):
    """The helper for tools that build the model themselves."""
    source = _build('dda', seed=1)
    path = tmp_path / 'dda.pth'
    torch.save({'meta': {}, 'state_dict': source.state_dict()}, path)
    target = _build('segmentor', seed=2)
    load_model_checkpoint(target, str(path))
    for key, value in source.segmentor.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key
    torch.save({'state_dict': {'x.weight': torch.zeros(1)}}, path)
    with pytest.raises(IncompleteCheckpointError, match='does not fit'):
        load_model_checkpoint(target, str(path))


def test_model_load_state_dict_refuses_gaps_and_maps_layouts():
    """The pre-hook of the project's models: plain ``load_state_dict``."""
    source = _build('dda', seed=1)
    target = _build('segmentor', seed=2)
    # A DDA state dict loads into a segmentor (its segmentor part) ...
    target.load_state_dict(source.state_dict(), strict=False)
    for key, value in source.segmentor.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key
    # ... and one without the backbone is refused, whatever ``strict``.
    state = {k: v for k, v in source.segmentor.state_dict().items()
             if not k.startswith('backbone.')}
    with pytest.raises(IncompleteCheckpointError,
                       match=r'the state dict does not fit the '
                       r'DepthDensitySegmentor model.*backbone \(\d+\)'):
        target.load_state_dict(state, strict=False)
    # A part of the model loaded on its own is not the model's business.
    target.backbone.load_state_dict(source.segmentor.backbone.state_dict())
