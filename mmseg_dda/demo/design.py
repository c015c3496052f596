"""The knobs of the demo study (docs/demo.md "Design"), checked, and
their ``KEY=VALUE`` form of ``tools/run_demo.py --design``."""
import math
from dataclasses import dataclass, fields
from typing import Dict, List


@dataclass(frozen=True)
class Design:
    """Every knob of the study (fixed on pilot seeds, docs/demo.md).

    Attributes:
        batch: Source (and target) images per iteration.
        pretrain_iters / pretrain_lr: Source pre-training from scratch,
            AdamW (weight decay 1e-4) with poly decay: from scratch it
            converges within the CPU budget where SGD does not.
        pretrain_warmup: Iterations of linear LR warm-up at the start of
            the pre-training (without it the seeds' source models spread
            over several mIoU points: docs/demo.md).
        iters / lr: Every arm (poly decay from ``lr``).
        disc_lr: Adam LR of the discriminator.
        disc_warmup: First arm iterations that train the discriminator only.
        adv_weight: ``adv_tgt`` of the DDA arm.
        entropy_adv_weight: ``adv_tgt`` of the entropy-only arm.
        density_tgt_weight: ``density_tgt`` of the DDA arm (the reference's
            0.05 with an ImageNet-initialised network and a 20x smaller LR;
            here it pulled the shared features away: docs/demo.md).
        disc_channels: Widths of the FC discriminator.
        selftrain_iters / selftrain_threshold: Self-training from DDA on
            target pixels predicted with at least this probability.
        bf16: Training under bf16 autocast (the fast mode).
        channels_last: Networks and inputs in channels-last memory format,
            in both precisions (on CPU a quarter faster per adversarial
            iteration, a tenth per pre-training one: docs/demo.md).
    """
    batch: int = 4
    pretrain_iters: int = 600
    pretrain_lr: float = 2e-3
    pretrain_warmup: int = 100
    iters: int = 60
    lr: float = 0.005
    disc_lr: float = 1e-3
    disc_warmup: int = 15
    adv_weight: float = 0.05
    entropy_adv_weight: float = 0.2
    density_tgt_weight: float = 0.0005
    disc_channels: tuple = (32, 64, 64, 64)
    selftrain_iters: int = 40
    selftrain_threshold: float = 0.9
    bf16: bool = False
    channels_last: bool = True

    def __post_init__(self) -> None:
        floats = [getattr(self, f.name) for f in fields(self)
                  if isinstance(f.default, float)]
        checks = (
            ('the learning rates, weights and threshold are finite',
             all(math.isfinite(v) for v in floats)),
            ('batch, pretrain_iters, iters and selftrain_iters are >= 1',
             min(self.batch, self.pretrain_iters, self.iters,
                 self.selftrain_iters) >= 1),
            ('the warm-ups are >= 0',
             min(self.pretrain_warmup, self.disc_warmup) >= 0),
            ('the learning rates are > 0',
             min(self.pretrain_lr, self.lr, self.disc_lr) > 0),
            ('the loss weights are >= 0', min(
                self.adv_weight, self.entropy_adv_weight,
                self.density_tgt_weight) >= 0),
            ('selftrain_threshold is in (0, 1]',
             0 < self.selftrain_threshold <= 1),
            ('disc_channels are positive widths', len(self.disc_channels) > 0
             and min(self.disc_channels) > 0),
        )
        bad = [what for what, ok in checks if not ok]
        if bad:
            raise ValueError('invalid demo design: ' + '; '.join(bad))


_KIND_NAMES = {bool: 'true or false', int: 'an integer', float: 'a number',
               tuple: 'comma-separated integers'}


def design_overrides(items: List[str]) -> Dict[str, object]:
    """``KEY=VALUE`` strings -> knobs of :class:`Design`, each typed as its
    default (bool: true/false; tuple: comma-separated integers)."""
    kinds = {f.name: type(f.default) for f in fields(Design)
             if f.name != 'bf16'}
    out = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or key not in kinds:
            raise ValueError(f'--design {item!r}: expected KEY=VALUE with '
                             f'KEY one of {", ".join(kinds)} (bf16: --amp)')
        kind = kinds[key]
        try:
            if kind is bool:
                if value.lower() not in ('true', 'false'):
                    raise ValueError('not true or false')
                out[key] = value.lower() == 'true'
            elif kind is tuple:
                out[key] = tuple(int(v) for v in value.split(','))
            else:
                out[key] = kind(value)
        except ValueError as e:
            raise ValueError(f'--design {item!r}: {key} takes '
                             f'{_KIND_NAMES[kind]} ({e})') from None
    return out
