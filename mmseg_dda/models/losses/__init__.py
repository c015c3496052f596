from .adversarial_loss import SOURCE_LABEL, TARGET_LABEL, adversarial_bce
from .berhu_loss import BerHuLoss, berhu_loss
from .entropy import entropy_map
from .weighted_ce_loss import WeightedCrossEntropyLoss

__all__ = [
    'BerHuLoss', 'berhu_loss', 'WeightedCrossEntropyLoss', 'entropy_map',
    'adversarial_bce', 'SOURCE_LABEL', 'TARGET_LABEL'
]
