"""Side-by-side test visualisation: image | GT | prediction | depth | density.

Used by ``tools/test.py --show-dir``. Unlike MMSeg's
``SegVisualizationHook`` it does not blend the label into the image, and it
adds the DDA-specific predicted (inverse) depth and density maps
(``pred_depth_map`` / ``pred_density_map`` of the data sample).
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import matplotlib
import numpy as np
import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS
from ...utils.atomic_io import atomic_open

# Panel captions are drawn in a strip above the panels.
_CAPTION_HEIGHT = 24


def _to_numpy(data) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    return np.asarray(data)


def _field(sample, name: str) -> Optional[np.ndarray]:
    """``sample.<name>.data`` as a 2-D numpy array, or None if absent."""
    if isinstance(sample, dict):
        field = sample.get(name)
        data = None if field is None else field['data']
    else:
        field = getattr(sample, name, None) if name in sample else None
        data = None if field is None else field.data
    if data is None:
        return None
    arr = _to_numpy(data)
    if arr.ndim == 3:
        if arr.shape[0] != 1:
            raise ValueError(f'DDAVisualizationHook: {name} must have one '
                             f'channel, got shape {arr.shape}')
        arr = arr[0]
    return arr


def label_to_color(label: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Colour a train-id map (RGB); ids outside the palette are black.

    Args:
        label (np.ndarray): ``(H, W)`` integer map.
        palette (np.ndarray): ``(C, 3)`` uint8 RGB colours.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB image.
    """
    lut = np.zeros((256, 3), dtype=np.uint8)
    palette = np.asarray(palette, dtype=np.uint8)[:255]
    lut[:len(palette)] = palette
    return lut[np.clip(label.astype(np.int64), 0, 255)]


def scalar_to_color(value: np.ndarray, cmap: str,
                    value_range: Optional[Tuple[float, float]] = None
                    ) -> np.ndarray:
    """Colour-map a float map (RGB).

    Args:
        value (np.ndarray): ``(H, W)`` float map.
        cmap (str): Matplotlib colour-map name.
        value_range (tuple, optional): ``(vmin, vmax)``; by default the 2nd
            and 98th percentiles of the finite values, so that the raw
            ``65536`` inverse-depth outliers do not flatten the map.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB image.
    """
    value = value.astype(np.float64)
    finite = np.isfinite(value)
    if value_range is None:
        if finite.any():
            vmin, vmax = np.percentile(value[finite], [2, 98])
        else:
            vmin, vmax = 0.0, 1.0
    else:
        vmin, vmax = value_range
    scale = vmax - vmin if vmax > vmin else 1.0
    norm = np.clip((np.where(finite, value, vmin) - vmin) / scale, 0, 1)
    lut = (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] *
           255).round().astype(np.uint8)
    return lut[(norm * 255).round().astype(np.int64)]


def compose_panels(panels: Sequence[Tuple[str, np.ndarray]],
                   size_hw: Tuple[int, int]) -> np.ndarray:
    """Resize RGB panels to ``size_hw`` and put them side by side.

    Args:
        panels (Sequence[tuple[str, np.ndarray]]): ``(caption, RGB image)``.
        size_hw (tuple[int, int]): Panel ``(H, W)``.

    Returns:
        np.ndarray: ``(H + caption strip, n * W, 3)`` uint8 RGB image.
    """
    h, w = size_hw
    out = []
    for caption, img in panels:
        # Nearest keeps label colours exact; the image uses area/linear.
        interp = cv2.INTER_NEAREST if caption in ('ground truth',
                                                  'prediction') else \
            cv2.INTER_AREA if img.shape[1] > w else cv2.INTER_LINEAR
        img = cv2.resize(np.ascontiguousarray(img), (w, h),
                         interpolation=interp)
        strip = np.full((_CAPTION_HEIGHT, w, 3), 255, dtype=np.uint8)
        cv2.putText(strip, caption, (4, _CAPTION_HEIGHT - 7),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1,
                    cv2.LINE_AA)
        out.append(np.concatenate([strip, img], axis=0))
    return np.concatenate(out, axis=1)


def _write_png_atomic(path: str, rgb: np.ndarray) -> None:
    ok, buf = cv2.imencode('.png', rgb[..., ::-1])
    if not ok:
        raise RuntimeError(f'DDAVisualizationHook: PNG encoding of {path} '
                           'failed')
    with atomic_open(path) as f:
        f.write(buf.tobytes())


@HOOKS.register_module()
class DDAVisualizationHook(Hook):
    """Write image, GT, prediction, depth and density side by side.

    For every ``interval``-th test iteration and every sample of the batch,
    writes ``<show_dir>/<image stem>.png``. The panels are, in order: the
    network input (from the data batch, else read from ``img_path``), the
    ground truth and the prediction in the dataset palette (ignore = black),
    the predicted inverse depth and the predicted density (colour-mapped).
    GT, depth and density panels are left out when the sample lacks them.
    All panels are shown at the evaluation resolution (the prediction's),
    downscaled to at most ``max_panel_width`` pixels wide.

    Args:
        show_dir (str): Output folder; a relative path is taken inside the
            runner's ``work_dir``. Defaults to ``'vis'``.
        interval (int): Visualise every ``interval``-th iteration.
            Defaults to 1.
        draw (bool): Switch the hook off with False (MMSeg compatibility).
        max_panel_width (int): Maximum width of one panel. Defaults to 1024.
        depth_cmap (str): Colour map of the depth panel.
        density_cmap (str): Colour map of the density panel.
        depth_range (tuple, optional): Fixed ``(vmin, vmax)`` for depth;
            per-image 2-98 percentiles by default.
        density_range (tuple, optional): ``(vmin, vmax)`` for the density,
            default ``(0, 255)``: the squashed density scale (§3.3).
    """

    priority = 'NORMAL'

    def __init__(self,
                 show_dir: str = 'vis',
                 interval: int = 1,
                 draw: bool = True,
                 max_panel_width: int = 1024,
                 depth_cmap: str = 'magma',
                 density_cmap: str = 'viridis',
                 depth_range: Optional[Tuple[float, float]] = None,
                 density_range: Optional[Tuple[float, float]] = (0., 255.)):
        if interval < 1:
            raise ValueError(f'DDAVisualizationHook: interval must be >= 1, '
                             f'got {interval}')
        for cmap in (depth_cmap, density_cmap):
            if cmap not in matplotlib.colormaps:
                raise ValueError(f'DDAVisualizationHook: unknown matplotlib '
                                 f'colour map {cmap!r}')
        self.show_dir = show_dir
        self.interval = interval
        self.draw = draw
        self.max_panel_width = max_panel_width
        self.depth_cmap = depth_cmap
        self.density_cmap = density_cmap
        self.depth_range = depth_range
        self.density_range = density_range
        self._palette: Optional[np.ndarray] = None
        self._out_dir: Optional[str] = None

    # ------------------------------------------------------------------ #
    def before_test(self, runner) -> None:
        """Resolve the output folder and the dataset palette."""
        self._out_dir = self.show_dir if osp.isabs(self.show_dir) else \
            osp.join(runner.work_dir, self.show_dir)
        os.makedirs(self._out_dir, exist_ok=True)
        meta = {}
        try:
            meta = runner.test_dataloader.dataset.metainfo
        except Exception:  # no dataloader built (e.g. a bare test runner)
            meta = getattr(getattr(runner, 'visualizer', None),
                           'dataset_meta', None) or {}
        self._palette = self._make_palette(meta)

    @staticmethod
    def _make_palette(meta: dict) -> np.ndarray:
        palette = meta.get('palette') if meta else None
        if palette:
            return np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
        num = len(meta.get('classes', ())) if meta else 0
        # Deterministic fallback colours when the dataset has no palette.
        rng = np.random.default_rng(0)
        return rng.integers(0, 256, size=(max(num, 255), 3), dtype=np.uint8)

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        """Write one PNG per sample every ``interval`` iterations."""
        if not self.draw or not outputs:
            return
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        if self._out_dir is None:
            self.before_test(runner)
        inputs = None
        if isinstance(data_batch, dict):
            inputs = data_batch.get('inputs')
        for i, sample in enumerate(outputs):
            img = None
            if inputs is not None and i < len(inputs):
                img = _to_numpy(inputs[i])
            self.visualize_sample(sample, img)

    def visualize_sample(self, sample, input_bgr_chw: Optional[np.ndarray]
                         = None) -> str:
        """Write the side-by-side PNG of one sample.

        Args:
            sample (SegDataSample | dict): Model output with
                ``pred_sem_seg`` and ``img_path``; ``gt_sem_seg``,
                ``pred_depth_map`` and ``pred_density_map`` are optional.
            input_bgr_chw (np.ndarray, optional): The ``(3, H, W)`` uint8 BGR
                network input; read from ``img_path`` when None.

        Returns:
            str: Path of the written PNG.
        """
        if self._out_dir is None:
            raise RuntimeError('DDAVisualizationHook: before_test must run '
                               'before visualize_sample')
        get = sample.get if isinstance(sample, dict) else \
            (lambda k, d=None: sample.metainfo.get(k, d))
        img_path = get('img_path')
        if img_path is None:
            raise ValueError('DDAVisualizationHook: data sample has no '
                             'img_path')
        pred = _field(sample, 'pred_sem_seg')
        if pred is None:
            raise ValueError(f'DDAVisualizationHook: {img_path}: data sample '
                             'has no pred_sem_seg')
        if input_bgr_chw is not None:
            img_rgb = np.ascontiguousarray(
                input_bgr_chw.transpose(1, 2, 0)[..., ::-1]).astype(np.uint8)
        else:
            import mmcv
            img_rgb = mmcv.imread(img_path, channel_order='rgb')
        panels: List[Tuple[str, np.ndarray]] = [('image', img_rgb)]
        gt = _field(sample, 'gt_sem_seg')
        if gt is not None:
            panels.append(('ground truth', label_to_color(gt, self._palette)))
        panels.append(('prediction', label_to_color(pred, self._palette)))
        depth = _field(sample, 'pred_depth_map')
        if depth is not None:
            panels.append(('depth', scalar_to_color(
                depth, self.depth_cmap, self.depth_range)))
        density = _field(sample, 'pred_density_map')
        if density is not None:
            panels.append(('density', scalar_to_color(
                density, self.density_cmap, self.density_range)))

        h, w = pred.shape
        if w > self.max_panel_width:
            h, w = max(1, round(h * self.max_panel_width / w)), \
                self.max_panel_width
        canvas = compose_panels(panels, (h, w))
        stem = osp.splitext(osp.basename(img_path))[0]
        path = osp.join(self._out_dir, f'{stem}.png')
        _write_png_atomic(path, canvas)
        return path
