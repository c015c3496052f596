"""Reading label files as raw ids and mapping them to train ids.

The lowest layer of the data path: used by the loading transforms
(:class:`~mmseg_dda.datasets.transforms.LoadMappedAnnotations`) and by the
offline density tools (STEP 1, GMM fitting), which read the SYNTHIA labels the
same way without running a data pipeline (docs/method.md §7.2-§7.5).
"""
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from PIL import Image

#: PIL modes of label files that hold one id per pixel.
SINGLE_CHANNEL_MODES = ('L', 'P', 'I', 'I;16', 'I;16B', 'I;16L')


def read_label_image(path: str,
                     expected: Optional[str] = None) -> np.ndarray:
    """Read a label image as raw integer ids.

    * palette PNGs (mode ``'P'``, Mapillary): the palette **indices**;
    * single-channel 8/16-bit images: the stored values;
    * multi-channel images (SYNTHIA ``GT/LABELS``, 16-bit RGB): the red
      channel, read with OpenCV because PIL truncates 16-bit colour PNGs.

    Args:
        path: Label file.
        expected: Description of the single-channel format the dataset
            stores (e.g. ``'single-channel Cityscapes labelIds'``); when
            given, multi-channel files are refused, because the red channel
            of a colour rendering is not an id. None accepts both.

    Returns:
        np.ndarray: ``(H, W)`` integer array (uint8 for 8-bit files).

    Raises:
        OSError: If the file is missing, truncated or not an image.
        ValueError: If ``expected`` is given and the file is not
            single-channel.
    """
    try:
        with Image.open(path) as img:
            mode, bands = img.mode, len(img.getbands())
            if mode not in ('RGB', 'RGBA') and (
                    expected is None or mode in SINGLE_CHANNEL_MODES):
                img.load()  # a truncated file raises here
                raw = np.array(img)
    except (OSError, SyntaxError, ValueError) as err:
        raise OSError(f'Cannot read label file {path}: {err}') from err
    if expected is not None and mode not in SINGLE_CHANNEL_MODES:
        raise ValueError(f'Label file {path} has PIL mode {mode!r} ({bands} '
                         'channels, e.g. a colour rendering): expected '
                         f'{expected}')
    if mode in ('RGB', 'RGBA'):
        bgr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if bgr is None or bgr.ndim != 3:
            raise OSError(f'Cannot read label file {path}: OpenCV failed to '
                          'decode the multi-channel label')
        raw = np.ascontiguousarray(bgr[..., 2])  # red channel (BGR order)
    if raw.ndim != 2 or not np.issubdtype(raw.dtype, np.integer):
        raise OSError(f'Label file {path} is not an integer single-channel '
                      f'label (mode {mode}, shape {raw.shape}, {raw.dtype})')
    return raw


def map_label(raw: np.ndarray, lut: np.ndarray,
              known: Optional[np.ndarray] = None
              ) -> Tuple[np.ndarray, Dict[int, int]]:
    """Map raw ids to train ids through a lookup table, vectorised.

    Args:
        raw: ``(H, W)`` integer raw ids.
        lut: ``(N,)`` uint8 table ``raw id -> train id`` (255 = ignore).
        known: ``(N,)`` bool mask of the ids that belong to the label
            scheme; None means every id < N is known.

    Returns:
        tuple: ``(mapped uint8 (H, W), {unexpected raw id: pixel count})``.
        Unexpected ids (not known, negative or >= N) map to 255.
    """
    lut = np.asarray(lut, dtype=np.uint8)
    n = len(lut)
    known = np.ones(n, bool) if known is None else np.asarray(known, bool)
    effective = np.where(known, lut, np.uint8(255)).astype(np.uint8)
    if raw.dtype == np.uint8 and n >= 256:
        # Fast path: one histogram + one table lookup.
        counts = np.bincount(raw.ravel(), minlength=256)
        bad = np.flatnonzero(counts[:256] * ~known[:256])
        return effective[raw], {int(i): int(counts[i]) for i in bad}
    values, inverse, counts = np.unique(
        raw.ravel(), return_inverse=True, return_counts=True)
    in_range = (values >= 0) & (values < n)
    table = np.full(len(values), 255, np.uint8)
    table[in_range] = effective[values[in_range]]
    ok = np.zeros(len(values), bool)
    ok[in_range] = known[values[in_range]]
    mapped = table[inverse].reshape(raw.shape)
    return mapped, {int(v): int(c) for v, c in zip(values[~ok], counts[~ok])}
