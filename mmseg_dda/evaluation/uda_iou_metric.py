"""IoU metric with the DDA / ADVENT evaluation protocol and class subsets.

Provenance: the confusion-matrix formula follows docs/method.md §9 (the
reference's ``eval_UDA1.py``, itself ADVENT's ``fast_hist`` /
``per_class_iu``):
``hist = bincount(C * label + pred)`` over pixels with ``0 <= label < C``,
``IoU_c = hist[c, c] / (row_c + col_c - hist[c, c])`` and
``mIoU = round(nanmean(IoU) * 100, 2)``. Re-implemented from that
specification on top of MMSeg's :class:`IoUMetric`.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from PIL import Image
from prettytable import PrettyTable
from ..utils.atomic_io import atomic_open

SubsetSpec = Union[Sequence[Union[int, str]], Mapping[str, Sequence]]

# The standard ADVENT/DADA/CTRL 13-class subset of the 16-class setting:
# wall, fence and pole (train ids 3, 4, 5) are left out (docs/method.md §9).
MIOU13_SUBSET: Dict[str, dict] = {'mIoU*': dict(exclude=[3, 4, 5])}


def confusion_matrix(pred: torch.Tensor, label: torch.Tensor,
                     num_classes: int) -> torch.Tensor:
    """Confusion matrix ``hist[label, pred]`` of one prediction.

    Pixels whose label is outside ``[0, num_classes)`` (e.g. 255) are
    ignored, exactly as in the reference; predictions are assumed to be
    in range (they come from an argmax over ``num_classes`` logits).

    Args:
        pred (torch.Tensor): Predicted train ids, any shape.
        label (torch.Tensor): Ground-truth train ids, same shape as ``pred``.
        num_classes (int): Number of classes ``C``.

    Returns:
        torch.Tensor: int64 ``(C, C)`` matrix on the CPU, rows = ground
        truth, columns = prediction.
    """
    if pred.shape != label.shape:
        raise ValueError(f'confusion_matrix: prediction shape '
                         f'{tuple(pred.shape)} != label shape '
                         f'{tuple(label.shape)}')
    pred = pred.reshape(-1).long()
    label = label.reshape(-1).long().to(pred.device)
    valid = (label >= 0) & (label < num_classes)
    # A prediction outside [0, C) would silently land in another cell.
    pred_v = pred[valid]
    if pred_v.numel() and (pred_v.min() < 0 or pred_v.max() >= num_classes):
        raise ValueError(
            f'confusion_matrix: predictions must lie in [0, {num_classes}), '
            f'got range [{int(pred_v.min())}, {int(pred_v.max())}]')
    hist = torch.bincount(
        num_classes * label[valid] + pred_v, minlength=num_classes**2)
    return hist.reshape(num_classes, num_classes).cpu()


def per_class_iou(hist: np.ndarray) -> np.ndarray:
    """Per-class IoU from a confusion matrix (NaN for absent classes).

    Args:
        hist (np.ndarray): ``(C, C)`` confusion matrix.

    Returns:
        np.ndarray: float64 ``(C,)``; NaN where the class is neither in the
        ground truth nor in the prediction.
    """
    hist = np.asarray(hist, dtype=np.float64)
    diag = np.diag(hist)
    union = hist.sum(1) + hist.sum(0) - diag
    with np.errstate(divide='ignore', invalid='ignore'):
        return diag / union


def _round_percent(value: float) -> float:
    # Same rounding as the reference: round(nanmean(iou) * 100, 2).
    return float(np.round(value * 100, 2))


@METRICS.register_module()
class UDAIoUMetric(IoUMetric):
    """mIoU / mIoU* metric of the DDA evaluation protocol (docs/method.md §9).

    Accumulates a ``(C, C)`` confusion matrix per sample (labels outside
    ``[0, C)``, e.g. 255, are ignored), then reports:

    * ``mIoU``: nanmean of the per-class IoU over **all** C classes (classes
      absent from both ground truth and prediction are NaN and skipped),
      in percent, rounded to 2 decimals;
    * one key per entry of ``subsets`` (e.g. ``mIoU*``), the same nanmean
      over the chosen classes;
    * ``aAcc``: overall pixel accuracy in percent, rounded to 2 decimals;
    * ``IoU.<class name>``: per-class IoU in percent (NaN if absent).

    A per-class table, the evaluation resolution(s) and the configured
    ``protocol`` string are written to the MMEngine log.

    Args:
        subsets (dict, optional): ``{key: spec}``; ``spec`` is either a list
            of class indices / class names to *include*, or
            ``dict(exclude=[...])`` with indices / names to leave out.
            :data:`MIOU13_SUBSET` gives the 13-class ``mIoU*`` of the
            16-class setting. Defaults to no subset.
        protocol (str, optional): Free-text description of the evaluation
            protocol recorded in the log, e.g. ``'full-res GT'`` or
            ``'padded input (scale_label=True)'``.
        ignore_index (int): Label ignored in evaluation (any label outside
            ``[0, C)`` is ignored anyway). Defaults to 255.
        collect_device (str): Device for collecting results across ranks.
        output_dir (str, optional): Write each prediction as
            ``<output_dir>/<image stem>.png`` (uint8 train ids).
        format_only (bool): Only write predictions, compute nothing.
        prefix (str, optional): Metric-name prefix (see ``BaseMetric``).
    """

    def __init__(self,
                 subsets: Optional[Dict[str, SubsetSpec]] = None,
                 protocol: Optional[str] = None,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 output_dir: Optional[str] = None,
                 format_only: bool = False,
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            ignore_index=ignore_index,
            iou_metrics=['mIoU'],
            collect_device=collect_device,
            output_dir=output_dir,
            format_only=format_only,
            prefix=prefix,
            **kwargs)
        self.subsets = dict(subsets or {})
        for key, spec in self.subsets.items():
            if key in ('mIoU', 'aAcc') or key.startswith('IoU.'):
                raise ValueError(f'UDAIoUMetric: subset name {key!r} clashes '
                                 'with a built-in metric key')
            if isinstance(spec, Mapping) and set(spec) != {'exclude'}:
                raise ValueError(
                    f'UDAIoUMetric: subset {key!r} must be a list of classes '
                    f'or dict(exclude=[...]), got keys {sorted(spec)}')
        self.protocol = protocol

    # ------------------------------------------------------------------ #
    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Accumulate the confusion matrix of each sample.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs with
                ``pred_sem_seg`` and, unless ``format_only``, ``gt_sem_seg``.
        """
        num_classes = len(self.dataset_meta['classes'])
        for data_sample in data_samples:
            pred = data_sample['pred_sem_seg']['data'].squeeze(0)
            if pred.dim() != 2:
                raise ValueError('UDAIoUMetric: pred_sem_seg must be (1,H,W) '
                                 f'or (H,W), got {tuple(pred.shape)}')
            if not self.format_only:
                label = data_sample['gt_sem_seg']['data'].squeeze(0)
                hist = confusion_matrix(pred, label, num_classes)
                self.results.append((hist, tuple(label.shape)))
            if self.output_dir is not None:
                self._write_prediction(pred, data_sample)

    def _write_prediction(self, pred: torch.Tensor, data_sample: dict) -> None:
        stem = osp.splitext(osp.basename(data_sample['img_path']))[0]
        path = osp.abspath(osp.join(self.output_dir, f'{stem}.png'))
        with atomic_open(path) as f:
            Image.fromarray(pred.cpu().numpy().astype(np.uint8)).save(
                f, format='PNG')

    # ------------------------------------------------------------------ #
    def _subset_indices(self, spec: SubsetSpec, class_names: Sequence[str],
                        key: str) -> List[int]:
        num_classes = len(class_names)

        def to_index(item) -> int:
            if isinstance(item, str):
                if item not in class_names:
                    raise ValueError(
                        f'UDAIoUMetric: subset {key!r} names class {item!r}, '
                        f'which is not in the dataset classes {class_names}')
                return list(class_names).index(item)
            idx = int(item)
            if not 0 <= idx < num_classes:
                raise ValueError(
                    f'UDAIoUMetric: subset {key!r} has class index {idx}, '
                    f'out of range for {num_classes} classes')
            return idx

        if isinstance(spec, Mapping):
            excluded = {to_index(i) for i in spec['exclude']}
            chosen = [i for i in range(num_classes) if i not in excluded]
        else:
            chosen = sorted({to_index(i) for i in spec})
        if not chosen:
            raise ValueError(f'UDAIoUMetric: subset {key!r} selects no class')
        return chosen

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute mIoU, subsets, aAcc and per-class IoU from all samples.

        Args:
            results (list): ``(hist, (H, W))`` tuples from :meth:`process`.

        Returns:
            dict: ``mIoU``, subset keys, ``aAcc`` and ``IoU.<name>``.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            logger.info(f'results are saved to {self.output_dir}')
            return OrderedDict()
        class_names = list(self.dataset_meta['classes'])
        if not results:
            raise ValueError('UDAIoUMetric: no sample was processed, nothing '
                             'to evaluate (empty dataset?)')
        hists, shapes = zip(*results)
        hist = torch.stack(list(hists)).sum(0).numpy().astype(np.float64)
        metrics, iou, acc = self.metrics_from_hist(hist, class_names)

        table = PrettyTable()
        table.add_column('Class', class_names)
        table.add_column('IoU', [np.round(v * 100, 2) for v in iou])
        table.add_column('Acc', [np.round(v * 100, 2) for v in acc])
        shape_counts: Dict[Tuple[int, int], int] = {}
        for shape in shapes:
            shape_counts[shape] = shape_counts.get(shape, 0) + 1
        res = ', '.join(f'{h}x{w} ({n} images)'
                        for (h, w), n in sorted(shape_counts.items()))
        print_log('per class results:', logger)
        print_log('\n' + table.get_string(), logger=logger)
        summary = ', '.join(
            f'{k}: {v:.2f}' for k, v in metrics.items()
            if not k.startswith('IoU.'))
        print_log(
            f'UDAIoUMetric: {len(shapes)} images evaluated at {res}; '
            f'protocol: {self.protocol or "unspecified"}; {summary}',
            logger=logger)
        return metrics

    def metrics_from_hist(
            self, hist: np.ndarray, class_names: Sequence[str]
    ) -> Tuple[Dict[str, float], np.ndarray, np.ndarray]:
        """Metric dict from an accumulated confusion matrix.

        Args:
            hist (np.ndarray): ``(C, C)`` confusion matrix (rows = GT).
            class_names (Sequence[str]): The C class names.

        Returns:
            tuple: (metrics dict, per-class IoU, per-class accuracy), the
            arrays as fractions (not percent), NaN for absent classes.
        """
        hist = np.asarray(hist, dtype=np.float64)
        if hist.shape != (len(class_names), len(class_names)):
            raise ValueError(
                f'UDAIoUMetric: confusion matrix {hist.shape} does not match '
                f'{len(class_names)} classes')
        iou = per_class_iou(hist)
        with np.errstate(divide='ignore', invalid='ignore'):
            acc = np.diag(hist) / hist.sum(1)
            all_acc = np.diag(hist).sum() / hist.sum()
        metrics: Dict[str, float] = OrderedDict()
        metrics['mIoU'] = _round_percent(np.nanmean(iou)) \
            if not np.all(np.isnan(iou)) else float('nan')
        for key, spec in self.subsets.items():
            sub = iou[self._subset_indices(spec, class_names, key)]
            metrics[key] = _round_percent(np.nanmean(sub)) \
                if not np.all(np.isnan(sub)) else float('nan')
        metrics['aAcc'] = _round_percent(all_acc)
        for name, value in zip(class_names, iou):
            metrics[f'IoU.{name}'] = _round_percent(value)
        return metrics, iou, acc
