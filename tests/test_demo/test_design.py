"""The demo's design: its checks and the typed ``KEY=VALUE`` overrides."""
from dataclasses import replace

import pytest

from mmseg_dda.demo.design import Design, design_overrides


def test_overrides_are_typed_as_the_defaults():
    assert design_overrides([
        'channels_last=False', 'adv_weight=1e-3', 'disc_channels=16,32',
        'iters=30']) == dict(channels_last=False, adv_weight=0.001,
                             disc_channels=(16, 32), iters=30)
    assert design_overrides([]) == {}


@pytest.mark.parametrize('item, why', [
    ('foo=1', "'foo=1': expected KEY=VALUE with KEY one of batch"),
    ('bf16=true', '(bf16: --amp)'),
    ('batch', "'batch': expected KEY=VALUE"),
    ('batch=2.5', 'batch takes an integer'),
    ('lr=fast', 'lr takes a number'),
    ('channels_last=1', 'channels_last takes true or false'),
    ('disc_channels=a,b', 'takes comma-separated integers'),
])
def test_bad_overrides_name_the_item(item, why):
    with pytest.raises(ValueError) as err:
        design_overrides([item])
    assert why in str(err.value)


@pytest.mark.parametrize('change, why', [
    (dict(iters=0), 'iters and selftrain_iters are >= 1'),
    (dict(batch=0), 'batch, pretrain_iters'),
    (dict(disc_warmup=-1), 'the warm-ups are >= 0'),
    (dict(lr=-1.0), 'the learning rates are > 0'),
    (dict(pretrain_lr=float('inf')), 'are finite'),
    (dict(adv_weight=float('nan')), 'are finite'),
    (dict(density_tgt_weight=-0.1), 'the loss weights are >= 0'),
    (dict(selftrain_threshold=1.5), 'selftrain_threshold is in (0, 1]'),
    (dict(disc_channels=()), 'disc_channels are positive widths'),
])
def test_a_design_that_cannot_run_is_refused(change, why):
    with pytest.raises(ValueError, match='invalid demo design') as err:
        replace(Design(), **change)
    assert why in str(err.value)


def test_long_warmups_are_allowed():
    # A warm-up longer than the training (the LR never peaks) or a
    # discriminator warm-up over every iteration (no generator adversarial
    # step) are odd ablations, not errors.
    Design(pretrain_iters=3, pretrain_warmup=100, iters=4, disc_warmup=4)
