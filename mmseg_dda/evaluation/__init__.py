"""Evaluation metrics (docs/method.md §9)."""
from .uda_iou_metric import (MIOU13_SUBSET, UDAIoUMetric, confusion_matrix,
                             per_class_iou)

__all__ = ['UDAIoUMetric', 'MIOU13_SUBSET', 'confusion_matrix',
           'per_class_iou']
