"""Mechanism check of DDA's losses (docs/demo.md "Mechanism check").

DDA's discriminator sees ``entropy * density`` (docs/method.md §4): with a
trained discriminator, the generator's adversarial gradient lowers the
entropy of a target pixel in proportion to its predicted density, so it
acts on pixels whose predicted class is plausible for their position and
depth and much less on implausible ones. The entropy-only arm (AdvEnt)
weighs all pixels alike. Two measurements:

* :func:`mechanism_check`: one generator step on the adversarial loss
  alone (discriminator frozen, BN statistics fixed); the mean entropy drop
  at plausible cells (squashed prior density of the predicted class at the
  predicted depth >= half of 255) and at implausible ones, for a step of
  the network's weights (what training does: shared weights spread the
  change over the image) and for a step of the logits themselves
  (:func:`logit_step_entropy`, the loss's own per-cell effect);
* :func:`density_agreement`: whether the density head's output, which
  weighs DDA's map, follows the prior: its mean at plausible and at
  implausible cells and its correlation with the prior's density (the
  gradient reaches a cell in proportion to the head's output, not to the
  prior's);
* :func:`implausible_share`: the share of cells whose predicted class is
  implausible at the cell's position and true inverse depth.
"""
import copy
from typing import Dict

import numpy as np
import torch

from ..density.resize import pil_nearest_resize
from ..models.losses import SOURCE_LABEL, adversarial_bce

#: Squashed density (of 255) from which a prediction counts as plausible.
PLAUSIBLE = 127.5


def cell_entropy(seg_logits: torch.Tensor) -> torch.Tensor:
    """Per-cell entropy ``-sum_c p log p`` (nats) of ``(N, C, h, w)``."""
    logp = seg_logits.float().log_softmax(1)
    return -(logp.exp() * logp).sum(1)


def generator_step_entropy(model, inputs: torch.Tensor,
                           lr: float = 0.01) -> Dict[str, torch.Tensor]:
    """Entropy per cell before and after one adversarial generator step.

    ``model`` is a :class:`~mmseg_dda.models.uda.DDA` with a trained
    discriminator; a copy takes one SGD step (``lr``) on
    ``BCE(D(adversarial map), SOURCE)`` alone with the discriminator frozen
    and BN in eval mode, so only the adversarial gradient moves the
    prediction. ``inputs`` are preprocessed target images.

    Returns:
        dict: ``before``, ``after`` (entropies ``(N, h, w)``),
        ``density`` (squashed prior density of the predicted class at the
        predicted depth, ``(N, h, w)``, before the step) and ``head`` (the
        density head's output, ``(N, h, w)``, before the step).
    """
    model = copy.deepcopy(model)
    model.eval()
    seg = model.segmentor
    with torch.no_grad():
        heads = seg(inputs, mode='heads')
        before = cell_entropy(heads['seg_logits'])
        head_density = heads['density'][:, 0].float()
        density = model.density.target_density_target(
            heads['seg_logits'].float(), heads['depth'].float())[:, 0]
    for p in model.discriminator.parameters():
        p.requires_grad_(False)
    params = [p for p in seg.parameters() if p.requires_grad]
    heads = model._float_heads(seg(inputs, mode='heads'))
    adv_map = model._adversarial_map(heads, tuple(inputs.shape[2:]))
    loss = adversarial_bce(model.discriminator(adv_map), SOURCE_LABEL)
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    with torch.no_grad():
        for p, g in zip(params, grads):
            if g is not None:
                p.sub_(lr * g)
        after = cell_entropy(seg(inputs, mode='heads')['seg_logits'])
    return dict(before=before, after=after, density=density,
                head=head_density)


def logit_step_entropy(model, heads: Dict[str, torch.Tensor], size,
                       lr: float = 1.0) -> torch.Tensor:
    """Entropy drop per cell of one step of the adversarial loss on the
    logits themselves (the loss's direct effect, no shared weights).

    ``heads``: ``seg_logits`` ``(N, C, h, w)`` and ``density`` (or
    ``depth``) as the segmentor returns them; the discriminator of
    ``model`` is used frozen. Returns the drop ``(N, h, w)``.
    """
    logits = heads['seg_logits'].detach().float().clone().requires_grad_()
    rest = {k: (v.detach().float() if v is not None else None)
            for k, v in heads.items() if k != 'seg_logits'}
    for p in model.discriminator.parameters():
        p.requires_grad_(False)
    adv_map = model._adversarial_map(dict(rest, seg_logits=logits), size)
    loss = adversarial_bce(model.discriminator(adv_map), SOURCE_LABEL)
    grad, = torch.autograd.grad(loss, logits)
    with torch.no_grad():
        return cell_entropy(logits) - cell_entropy(logits - lr * grad)


def density_agreement(head: torch.Tensor, prior: torch.Tensor,
                      plausible: torch.Tensor) -> Dict[str, float]:
    """How the density head's output ``head`` follows the squashed prior
    density ``prior`` (same shape) on cells split by ``plausible``.

    Returns:
        dict: ``head_plausible`` / ``head_implausible`` (mean head output
        of each group, NaN for an empty group) and ``head_prior_corr``
        (Pearson correlation over all cells; NaN when either is constant).
    """
    head, prior = head.double().flatten(), prior.double().flatten()
    plausible = plausible.flatten()

    def mean(x):
        return float(x.mean()) if x.numel() else float('nan')
    hc, pc = head - head.mean(), prior - prior.mean()
    denom = float(hc.norm() * pc.norm())
    return dict(head_plausible=mean(head[plausible]),
                head_implausible=mean(head[~plausible]),
                head_prior_corr=float(hc @ pc) / denom if denom else
                float('nan'))


def mechanism_check(model, inputs: torch.Tensor, lr: float = 0.01) -> dict:
    """Entropy drops of one adversarial generator step, by plausibility.

    Args:
        model: A trained :class:`~mmseg_dda.models.uda.DDA` (any
            ``adversarial_input``).
        inputs: Preprocessed target images ``(N, 3, H, W)``.
        lr: SGD step of the network probe (the logit probe uses 1).

    Returns:
        dict: ``drop_plausible`` / ``drop_implausible`` (mean entropy drop,
        millinats), their ``ratio``, the same for the logit step, the mean
        entropy before the step (``entropy_plausible`` /
        ``entropy_implausible``, millinats: a more uncertain cell has a
        larger entropy gradient), the share of plausible cells and
        :func:`density_agreement` of the density head.
    """
    out = generator_step_entropy(model, inputs, lr)
    drop = (out['before'] - out['after']) * 1000
    plausible = out['density'] >= PLAUSIBLE

    def means(d):
        hi = float(d[plausible].mean()) if plausible.any() else float('nan')
        lo = float(d[~plausible].mean()) if (~plausible).any() else \
            float('nan')
        return hi, lo
    hi, lo = means(drop)
    ehi, elo = means(out['before'] * 1000)
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        heads = model.segmentor(inputs, mode='heads')
    grid_size = tuple(inputs.shape[2:])
    lhi, llo = means(logit_step_entropy(model, heads, grid_size) * 1000)
    return dict(drop_plausible=hi, drop_implausible=lo,
                ratio=hi / lo if lo else float('nan'),
                logit_drop_plausible=lhi, logit_drop_implausible=llo,
                entropy_plausible=ehi, entropy_implausible=elo,
                plausible_share=float(plausible.float().mean()),
                **density_agreement(out['head'], out['density'], plausible))


@torch.no_grad()
def implausible_share(heads: Dict[str, torch.Tensor], density,
                      depths: np.ndarray = None) -> float:
    """Share of cells whose predicted class is implausible (prior density
    below :data:`PLAUSIBLE`) at the cell's position and inverse depth.

    ``heads``: ``seg_logits`` and ``depth`` at the feature grid (as
    :func:`~mmseg_dda.demo.protocol.predict` returns them). ``depths``
    (``(N, H, W)`` true inverse depth, sampled to the grid with PIL NEAREST
    as the prior's fit) default to the predicted depth.
    """
    z = heads['depth']
    if depths is not None:
        grid = tuple(heads['seg_logits'].shape[2:])
        z = pil_nearest_resize(torch.from_numpy(np.ascontiguousarray(
            depths)).float(), grid).unsqueeze(1)
    dens = density.target_density_target(heads['seg_logits'], z)
    return float((dens < PLAUSIBLE).float().mean())
