"""The mechanism check on small inputs (docs/demo.md "Mechanism check").

With a discriminator warmed up to tell confident (source-like) maps from
uncertain target maps, one generator step of DDA lowers the entropy more
where the density is high than where it is ~0; the entropy-only arm
(AdvEnt) has no such preference.
"""
import math

import mmseg_dda  # noqa: F401
import torch
from mmengine.logging import MessageHub

from mmseg_dda.demo.mechanism import (cell_entropy, density_agreement,
                                      logit_step_entropy, mechanism_check)
from mmseg_dda.models.losses import SOURCE_LABEL, TARGET_LABEL, \
    adversarial_bce

from _tiny_models import build_tiny, tiny_dda_cfg


def _warm_discriminator(model, tgt, steps=40):
    """D learns: zero maps (confident source) vs the uncertain maps."""
    disc = model.discriminator
    opt = torch.optim.Adam(disc.parameters(), lr=1e-2)
    src = torch.zeros_like(tgt)
    for _ in range(steps):
        opt.zero_grad()
        loss = adversarial_bce(disc(src), SOURCE_LABEL) + adversarial_bce(
            disc(tgt), TARGET_LABEL)
        loss.backward()
        opt.step()
    return float(loss)


def _drops(adversarial_input):
    """Entropy drop of one adversarial step on the logits, left (density
    100) and right (density 0) half."""
    MessageHub.get_current_instance().update_info('iter', 0)
    torch.manual_seed(0)
    model = build_tiny(tiny_dda_cfg(7, adversarial_input=adversarial_input))
    n, c, h, w = 2, 7, 6, 8
    logits = torch.randn(n, c, h, w) * 0.5  # uncertain everywhere
    density = torch.zeros(n, 1, h, w)
    density[..., :w // 2] = 100.0
    heads = dict(seg_logits=logits, density=density,
                 depth=torch.ones(n, 1, h, w))
    size = (h * 8, w * 8)
    tgt = model._adversarial_map(heads, size).detach()
    assert _warm_discriminator(model, tgt) < 0.5  # D has learnt
    drop = logit_step_entropy(model, heads, size, lr=1.0)
    # Cells 5.. only touch density-0 cells through the bilinear upsampling.
    return float(drop[..., :w // 2].mean()), float(drop[..., 5:].abs().max())


def test_dda_step_lowers_entropy_where_density_is_high():
    left, right = _drops('entropy_density')
    assert left > 0
    # Density 0: the DDA map is 0 there whatever the entropy, no gradient.
    assert right == 0.0


def test_entropy_only_step_has_no_density_preference():
    left, right = _drops('entropy')
    assert left > 0 and right > 0
    assert right > 0.2 * left


def test_cell_entropy_hand_computed():
    logits = torch.zeros(1, 2, 1, 2)
    logits[0, 0, 0, 1] = 1000.0  # certain in cell 1
    ent = cell_entropy(logits)
    assert torch.allclose(ent, torch.tensor([[[0.6931472, 0.0]]]))


def test_mechanism_check_reports_both_groups():
    MessageHub.get_current_instance().update_info('iter', 0)
    torch.manual_seed(0)
    model = build_tiny(tiny_dda_cfg(7))
    out = mechanism_check(model, torch.randn(2, 3, 48, 48) * 40)
    assert set(out) == {'drop_plausible', 'drop_implausible', 'ratio',
                        'logit_drop_plausible', 'logit_drop_implausible',
                        'entropy_plausible', 'entropy_implausible',
                        'plausible_share', 'head_plausible',
                        'head_implausible', 'head_prior_corr'}
    assert 0.0 <= out['plausible_share'] <= 1.0
    # NaN where the untrained tiny model's prior map is constant.
    assert math.isnan(out['head_prior_corr']) or \
        -1.0 <= out['head_prior_corr'] <= 1.0


def test_density_agreement_hand_computed():
    prior = torch.tensor([[0.0, 100.0], [200.0, 250.0]])
    plausible = prior >= 127.5
    # Head = prior / 2 + 10: correlation 1, group means (10 + 60) / 2 and
    # (110 + 135) / 2.
    out = density_agreement(prior / 2 + 10, prior, plausible)
    assert out['head_plausible'] == 122.5
    assert out['head_implausible'] == 35.0
    assert abs(out['head_prior_corr'] - 1.0) < 1e-12
    # A head that ranks the cells the other way round.
    out = density_agreement(250 - prior, prior, plausible)
    assert abs(out['head_prior_corr'] + 1.0) < 1e-12
    assert out['head_plausible'] < out['head_implausible']
    # A constant head has no correlation; an empty group has no mean.
    out = density_agreement(torch.full((2, 2), 5.0), prior,
                            torch.zeros(2, 2, dtype=torch.bool))
    assert math.isnan(out['head_prior_corr'])
    assert math.isnan(out['head_plausible'])
    assert out['head_implausible'] == 5.0
