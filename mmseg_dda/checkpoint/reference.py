"""Key mapping of reference DDA checkpoints to mmseg_dda (docs/method.md §11).

The reference saves ``{'model': state_dict}`` files (§11.1) of the
segmentation network (§11.2), of the discriminator (§11.3), and the ADVENT /
DADA ImageNet initialisation (``Scale.<key>``, §2.3). The mapping (§11.4) is a
prefix rename:

====================================  ==========================================
reference                             plugin (DDA state dict)
====================================  ==========================================
``conv1.`` ``bn1.`` ``layerN.``       ``segmentor.backbone.`` + same key
``layer6.conv2d_list.i.``             ``segmentor.decode_head.conv2d_list.i.``
``enc4_{1,2,3}.``                     ``segmentor.density_head.conv{1,2,3}.``
``enc5_{1,2,3}.``                     ``segmentor.depth_head.conv{1,2,3}.``
``enc4_4.`` / ``dec4.``               dropped, or ``segmentor.density_head.``
                                      ``conv4.`` / ``dec.`` (``keep_unused``)
discriminator ``{0,2,4,6,8}.``        ``discriminator.`` + same key
ImageNet ``Scale.<key>``              ``segmentor.backbone.<key>`` (or plain),
                                      ``Scale.layer5.*`` skipped
====================================  ==========================================

Every conversion is checked against the expected reference layout, built
from the architecture (ResNet depth, widths read from the checkpoint), and
reports missing and unexpected keys and shape mismatches. Missing
``num_batches_tracked`` entries are tolerated (§13.22).
"""
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from torch import Tensor

from .loading import CheckpointFileError, read_checkpoint

#: Bottleneck counts per layer of the reference ResNets.
RESNET_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
BN_SUFFIXES = ('weight', 'bias', 'running_mean', 'running_var',
               'num_batches_tracked')
SEGMENTOR_PREFIX = 'segmentor.'
DISCRIMINATOR_PREFIX = 'discriminator.'
BACKBONE_PREFIX = SEGMENTOR_PREFIX + 'backbone.'

Shape = Tuple[int, ...]

# (reference prefix regex, plugin prefix inside the segmentor); order matters.
_SEGNET_RULES = [
    (r'^(conv1|bn1|layer[1-4])\.', r'backbone.\1.'),
    (r'^layer6\.conv2d_list\.(\d+)\.', r'decode_head.conv2d_list.\1.'),
    (r'^enc4_([123])\.', r'density_head.conv\1.'),
    (r'^enc5_([123])\.', r'depth_head.conv\1.'),
]
_UNUSED_RULES = [
    (r'^enc4_4\.', 'density_head.conv4.'),
    (r'^dec4\.', 'density_head.dec.'),
]


@dataclass
class ConversionReport:
    """What a conversion found, relative to the expected reference layout.

    Attributes:
        kind (str): ``segmentor``, ``discriminator`` or ``imagenet``.
        num_classes (int | None): Classes found in the checkpoint.
        converted (int): Number of tensors written.
        missing (list[str]): Expected reference keys absent from the input
            (``num_batches_tracked`` excluded).
        unexpected (list[str]): Input keys with no mapping (not written).
        shape_mismatches (list[tuple]): ``(key, found, expected)``.
        dropped (list[str]): Keys dropped on purpose (``enc4_4``, ``dec4``,
            ImageNet ``layer5``).
    """

    kind: str
    num_classes: Optional[int] = None
    converted: int = 0
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    shape_mismatches: List[Tuple[str, Shape, Shape]] = field(
        default_factory=list)
    dropped: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """bool: No missing keys, no unexpected keys, no shape mismatch."""
        return not (self.missing or self.unexpected or self.shape_mismatches)

    def merge(self, other: 'ConversionReport') -> 'ConversionReport':
        """Combine with the report of another part (e.g. discriminator)."""
        return ConversionReport(
            kind=f'{self.kind}+{other.kind}',
            num_classes=self.num_classes or other.num_classes,
            converted=self.converted + other.converted,
            missing=self.missing + other.missing,
            unexpected=self.unexpected + other.unexpected,
            shape_mismatches=self.shape_mismatches + other.shape_mismatches,
            dropped=self.dropped + other.dropped)

    def format(self, max_items: int = 20) -> str:
        """Human-readable multi-line summary."""

        def listing(title, items):
            lines = [f'  {title}: {len(items)}']
            lines += [f'    {item}' for item in items[:max_items]]
            if len(items) > max_items:
                lines.append(f'    ... and {len(items) - max_items} more')
            return lines

        lines = [
            f'[{self.kind}] converted {self.converted} tensors, '
            f'num_classes={self.num_classes}'
        ]
        lines += listing('missing keys', self.missing)
        lines += listing('unexpected keys (not converted)', self.unexpected)
        lines += listing('shape mismatches (key: found vs expected)', [
            f'{k}: {tuple(a)} vs {tuple(b)}'
            for k, a, b in self.shape_mismatches
        ])
        lines += listing('dropped on purpose', self.dropped)
        return '\n'.join(lines)


# ----------------------------------------------------------------------------
# expected layouts
# ----------------------------------------------------------------------------
def _bn(prefix: str, channels: int) -> Dict[str, Shape]:
    return {
        f'{prefix}.{s}': (() if s == 'num_batches_tracked' else (channels, ))
        for s in BN_SUFFIXES
    }


def reference_backbone_layout(depth: int = 101,
                              in_channels: int = 3,
                              stem_channels: int = 64,
                              base_channels: int = 64) -> Dict[str, Shape]:
    """Keys and shapes of the reference ResNet (§11.2, backbone part).

    Args:
        depth (int): 50, 101 or 152.
        in_channels (int): Image channels.
        stem_channels (int): ``conv1`` output channels.
        base_channels (int): ``layer1`` planes.

    Returns:
        dict[str, tuple]: Ordered ``key -> shape``, ``num_batches_tracked``
        included (shape ``()``).
    """
    if depth not in RESNET_BLOCKS:
        raise ValueError(f'unsupported ResNet depth {depth}; choose one of '
                         f'{sorted(RESNET_BLOCKS)}')
    layout: Dict[str, Shape] = OrderedDict()
    layout['conv1.weight'] = (stem_channels, in_channels, 7, 7)
    layout.update(_bn('bn1', stem_channels))
    inplanes = stem_channels
    for li, blocks in enumerate(RESNET_BLOCKS[depth]):
        planes = base_channels * 2**li
        for b in range(blocks):
            p = f'layer{li + 1}.{b}'
            block_in = inplanes if b == 0 else planes * 4
            layout[f'{p}.conv1.weight'] = (planes, block_in, 1, 1)
            layout.update(_bn(f'{p}.bn1', planes))
            layout[f'{p}.conv2.weight'] = (planes, planes, 3, 3)
            layout.update(_bn(f'{p}.bn2', planes))
            layout[f'{p}.conv3.weight'] = (planes * 4, planes, 1, 1)
            layout.update(_bn(f'{p}.bn3', planes * 4))
            if b == 0:
                layout[f'{p}.downsample.0.weight'] = (planes * 4, inplanes, 1,
                                                      1)
                layout.update(_bn(f'{p}.downsample.1', planes * 4))
        inplanes = planes * 4
    return layout


def reference_segnet_layout(num_classes: int,
                            depth: int = 101,
                            in_channels: int = 3,
                            stem_channels: int = 64,
                            base_channels: int = 64,
                            head_channels: int = 512,
                            proj_channels: int = 128,
                            unused_channels: int = 16) -> Dict[str, Shape]:
    """Keys and shapes of the reference segmentation network (§11.2).

    The default arguments give the 648 entries of the released checkpoints
    (544 without ``num_batches_tracked``).
    """
    layout = reference_backbone_layout(depth, in_channels, stem_channels,
                                       base_channels)
    feat = base_channels * 8 * 4
    for i in range(4):
        layout[f'layer6.conv2d_list.{i}.weight'] = (num_classes, feat, 3, 3)
        layout[f'layer6.conv2d_list.{i}.bias'] = (num_classes, )
    branch = [('1', head_channels, feat, 1), ('2', head_channels,
                                              head_channels, 3),
              ('3', proj_channels, head_channels, 1)]
    for enc in ('enc4', 'enc5'):
        for idx, out_c, in_c, k in branch:
            layout[f'{enc}_{idx}.weight'] = (out_c, in_c, k, k)
            layout[f'{enc}_{idx}.bias'] = (out_c, )
        if enc == 'enc4':
            layout['enc4_4.weight'] = (unused_channels, proj_channels, 1, 1)
            layout['enc4_4.bias'] = (unused_channels, )
            layout['dec4.weight'] = (feat, proj_channels, 1, 1)
            layout['dec4.bias'] = (feat, )
    return layout


def reference_discriminator_layout(
        num_classes: int,
        channels: Tuple[int, ...] = (64, 128, 256, 512)) -> Dict[str, Shape]:
    """Keys and shapes of the reference discriminator (§11.3)."""
    layout: Dict[str, Shape] = OrderedDict()
    chans = [num_classes, *channels, 1]
    for i in range(len(chans) - 1):
        layout[f'{2 * i}.weight'] = (chans[i + 1], chans[i], 4, 4)
        layout[f'{2 * i}.bias'] = (chans[i + 1], )
    return layout


# ----------------------------------------------------------------------------
# conversion
# ----------------------------------------------------------------------------
def _shape(state_dict: Dict[str, Tensor], key: str,
           dim: int) -> Optional[int]:
    value = state_dict.get(key)
    if isinstance(value, Tensor) and value.ndim > dim:
        return int(value.shape[dim])
    return None


def _check_num_classes(found: Optional[int], expected: Optional[int],
                       what: str) -> None:
    if expected is not None and found is not None and found != expected:
        raise ValueError(f'{what}: checkpoint has {found} classes, '
                         f'expected {expected}')


def _compare(report: ConversionReport, state_dict: Dict[str, Tensor],
             layout: Dict[str, Shape]) -> None:
    """Fill missing keys and shape mismatches of ``report``."""
    for key, shape in layout.items():
        if key not in state_dict:
            if not key.endswith('num_batches_tracked'):
                report.missing.append(key)
        elif tuple(state_dict[key].shape) != tuple(shape):
            report.shape_mismatches.append(
                (key, tuple(state_dict[key].shape), tuple(shape)))


def _apply_rules(key: str, rules) -> Optional[str]:
    for pattern, repl in rules:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key, count=1)
    return None


def convert_segnet_state_dict(
    state_dict: Dict[str, Tensor],
    num_classes: Optional[int] = None,
    keep_unused: bool = False,
    depth: int = 101,
    prefix: str = SEGMENTOR_PREFIX
) -> Tuple['OrderedDict[str, Tensor]', ConversionReport]:
    """Convert a reference segmentation-network state dict (§11.2, §11.4).

    Args:
        state_dict (dict): Reference keys (``conv1.weight``, ``layer6...``).
        num_classes (int, optional): Expected number of classes; checked
            against ``layer6`` (``ValueError`` "checkpoint has 16 classes,
            expected 7").
        keep_unused (bool): Keep ``enc4_4`` / ``dec4`` as
            ``density_head.conv4`` / ``density_head.dec`` (for a
            ``DensityHead(with_unused_branch=True)``). Default False.
        depth (int): ResNet depth of the expected layout. Default 101.
        prefix (str): Prefix of the output keys. Default ``'segmentor.'``
            (DDA layout; loads into DDA and into DepthDensitySegmentor).

    Returns:
        tuple: The converted ``OrderedDict`` and a :class:`ConversionReport`.
    """
    found_classes = _shape(state_dict, 'layer6.conv2d_list.0.weight', 0)
    _check_num_classes(found_classes, num_classes, 'segmentation network')
    layout = reference_segnet_layout(
        num_classes=found_classes or num_classes or 1,
        depth=depth,
        in_channels=_shape(state_dict, 'conv1.weight', 1) or 3,
        stem_channels=_shape(state_dict, 'conv1.weight', 0) or 64,
        base_channels=_shape(state_dict, 'layer1.0.conv1.weight', 0) or 64,
        head_channels=_shape(state_dict, 'enc4_1.weight', 0) or 512,
        proj_channels=_shape(state_dict, 'enc4_3.weight', 0) or 128,
        unused_channels=_shape(state_dict, 'enc4_4.weight', 0) or 16)
    report = ConversionReport(kind='segmentor', num_classes=found_classes)
    _compare(report, state_dict, layout)
    out: 'OrderedDict[str, Tensor]' = OrderedDict()
    for key, value in state_dict.items():
        new = _apply_rules(key, _SEGNET_RULES)
        if new is None:
            unused = _apply_rules(key, _UNUSED_RULES)
            if unused is not None:
                if keep_unused:
                    new = unused
                else:
                    report.dropped.append(key)
                    continue
        if new is None or key not in layout:
            report.unexpected.append(key)
            continue
        out[prefix + new] = value
    report.converted = len(out)
    return out, report


def convert_discriminator_state_dict(
    state_dict: Dict[str, Tensor],
    num_classes: Optional[int] = None,
    prefix: str = DISCRIMINATOR_PREFIX
) -> Tuple['OrderedDict[str, Tensor]', ConversionReport]:
    """Convert a reference discriminator state dict (§11.3).

    Args:
        state_dict (dict): Keys ``{0,2,4,6,8}.{weight,bias}``.
        num_classes (int, optional): Expected input channels of ``0.weight``.
        prefix (str): Output prefix. Default ``'discriminator.'``.

    Returns:
        tuple: The converted ``OrderedDict`` and a :class:`ConversionReport`.
    """
    found_classes = _shape(state_dict, '0.weight', 1)
    _check_num_classes(found_classes, num_classes, 'discriminator')
    channels = []
    for i in range(4):
        channels.append(_shape(state_dict, f'{2 * i}.weight', 0) or
                        (64, 128, 256, 512)[i])
    layout = reference_discriminator_layout(
        found_classes or num_classes or 1, tuple(channels))
    report = ConversionReport(kind='discriminator', num_classes=found_classes)
    _compare(report, state_dict, layout)
    out: 'OrderedDict[str, Tensor]' = OrderedDict()
    for key, value in state_dict.items():
        if key not in layout:
            report.unexpected.append(key)
            continue
        out[prefix + key] = value
    report.converted = len(out)
    return out, report


def convert_imagenet_state_dict(
    state_dict: Dict[str, Tensor],
    depth: int = 101,
    prefix: str = BACKBONE_PREFIX
) -> Tuple['OrderedDict[str, Tensor]', ConversionReport]:
    """Convert the ADVENT/DADA ImageNet file (``Scale.<key>``, §2.3).

    ``Scale.`` is stripped and ``Scale.layer5.*`` (the ImageNet-era
    classifier) is skipped, as in the reference ``scripts/train.py``.

    Args:
        state_dict (dict): ``Scale.conv1.weight`` ... (the prefix is
            optional).
        depth (int): ResNet depth of the expected layout. Default 101.
        prefix (str): Output prefix: ``'segmentor.backbone.'`` (default,
            for ``load_from`` into DDA) or ``''`` (plain backbone keys, for
            the backbone's ``init_cfg=dict(type='Pretrained', ...)``).

    Returns:
        tuple: The converted ``OrderedDict`` and a :class:`ConversionReport`.
    """
    stripped = OrderedDict()
    report = ConversionReport(kind='imagenet')
    for key, value in state_dict.items():
        short = key[len('Scale.'):] if key.startswith('Scale.') else key
        if short.startswith('layer5.'):
            report.dropped.append(key)
            continue
        stripped[short] = value
    layout = reference_backbone_layout(
        depth=depth,
        in_channels=_shape(stripped, 'conv1.weight', 1) or 3,
        stem_channels=_shape(stripped, 'conv1.weight', 0) or 64,
        base_channels=_shape(stripped, 'layer1.0.conv1.weight', 0) or 64)
    _compare(report, stripped, layout)
    out: 'OrderedDict[str, Tensor]' = OrderedDict()
    for short, value in stripped.items():
        if short not in layout:
            report.unexpected.append(short)
            continue
        out[prefix + short] = value
    report.converted = len(out)
    return out, report


# ----------------------------------------------------------------------------
# file I/O
# ----------------------------------------------------------------------------
def load_reference_state_dict(path: str) -> Dict[str, Tensor]:
    """Read a reference checkpoint safely (``weights_only=True``).

    Accepts ``{'model': state_dict}`` (reference format, §11.1), an
    MMEngine-style ``{'state_dict': ...}`` or a bare state dict.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        CheckpointFileError: If it is not a readable checkpoint (see
            :func:`~mmseg_dda.checkpoint.read_checkpoint`) or holds no
            mapping of tensors.
    """
    obj = read_checkpoint(path, map_location='cpu')
    if isinstance(obj, dict):
        for key in ('model', 'state_dict'):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj:
        raise CheckpointFileError(f'{path}: expected a state dict or '
                         f"{{'model': state_dict}}, got {type(obj).__name__}")
    bad = [k for k, v in obj.items() if not isinstance(v, Tensor)]
    if bad:
        raise CheckpointFileError(f'{path}: entries that are not tensors: {bad[:5]}')
    return OrderedDict(obj)
