"""The density path through DDA: targets travel on the data samples.

DDA computes the source and target density targets with its GMM prior and
attaches them to the data samples (``gt_density_target``); the density head
reads them there with MMSeg's ``loss_by_feat(pred, batch_data_samples)``.
"""
import mmseg_dda  # noqa: F401

import pytest
import torch

from _tiny_models import build_unit_dda, unit_dda_batch


def _heads(model, data, key_inputs, key_samples):
    pre = model.data_preprocessor(
        dict(inputs=data[key_inputs], data_samples=data[key_samples]), True)
    return model.segmentor(pre['inputs'], mode='heads'), pre['data_samples']


def _check_targets_read_by_head(model, heads, samples, expected, loss,
                                weight):
    """The samples carry ``expected`` as ``gt_density_target`` and ``loss``
    is the density head's loss of them times ``loss_weights[weight]``."""
    got = torch.stack([s.gt_density_target.data for s in samples])
    assert torch.equal(got, expected)
    head_loss = model.segmentor.density_head.loss_by_feat(
        heads['density'], samples)['loss_berhu']
    assert torch.equal(loss, model.loss_weights[weight] * head_loss)


def test_source_target_attached_and_read_by_head():
    model = build_unit_dda()
    data = unit_dda_batch(n=2)
    heads, samples = _heads(model, data, 'inputs', 'data_samples')
    losses = model._source_losses(heads, samples)
    maps = torch.stack([s.gt_density_map.data for s in samples])
    expected = model.density.source_density_target(
        maps, heads['seg_logits'].detach())
    _check_targets_read_by_head(model, heads, samples, expected,
                                losses['src.loss_density'], 'density_src')


def test_target_target_attached_to_target_samples():
    model = build_unit_dda()
    data = unit_dda_batch(n=2)
    heads, samples = _heads(model, data, 'target_inputs',
                            'target_data_samples')
    losses, adv_map = model._target_losses(heads, samples, (64, 64))
    assert torch.equal(adv_map, model._adversarial_map(heads, (64, 64)))
    expected = model.density.target_density_target(
        heads['seg_logits'].detach(), heads['depth'].detach())
    _check_targets_read_by_head(model, heads, samples, expected,
                                losses['tgt.loss_density'], 'density_tgt')


def test_missing_source_maps_name_the_pipeline_step():
    model = build_unit_dda()
    data = unit_dda_batch(n=2)
    del data['data_samples'][1].gt_density_map
    heads, samples = _heads(model, data, 'inputs', 'data_samples')
    with pytest.raises(KeyError, match=r'DDA: data samples \[1\] have no '
                       r'gt_density_map \(source density maps: '
                       'LoadSourceDensityMaps or ComputeSourceDensityMaps'):
        model._source_losses(heads, samples)
