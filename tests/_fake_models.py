"""Fake models and a fake dataset for the STEP-3 and segmentor-loading tests.

:class:`FakeColourSegmentor` predicts from the image colours alone (one
class per BGR channel), so the pseudo-labels it yields on
:class:`FakeColourDataset` images follow from how they were painted;
:class:`FakeDDA` wraps a fake segmentor in the DDA layout (``segmentor.*`` and
``discriminator.*`` weights). The classes are registered under their names
in MMSeg's registries (``force=True``: importing this module again, e.g. by
another test module, replaces the same entries).
"""
from pathlib import Path

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS, MODELS

#: Preprocessor of the fake models: raw BGR pixel values in, no resizing.
FAKE_PREPROCESSOR = dict(type='SegDataPreProcessor', mean=[0., 0., 0.],
                         std=[1., 1., 1.], bgr_to_rgb=False)


@DATASETS.register_module(force=True)
class FakeColourDataset(BaseSegDataset):
    """The ``*.png`` images in ``data_root``, sorted, without labels.

    An ``ann_file`` whose file name is a number N keeps the first N images.
    """
    METAINFO = dict(classes=('blue', 'green', 'red'),
                    palette=[[0, 0, 255], [0, 255, 0], [255, 0, 0]])

    def load_data_list(self):
        root = Path(self.data_root)
        names = sorted(p.name for p in root.glob('*.png'))
        if self.ann_file:
            names = names[:int(Path(self.ann_file).name)]
        return [dict(img_path=str(root / n), seg_fields=[],
                     reduce_zero_label=False) for n in names]


class FakeModel(BaseModel):
    """A model that the tests build and load but never run as a whole."""

    def forward(self, *args, **kwargs):  # pragma: no cover - unused
        raise NotImplementedError


@MODELS.register_module(force=True)
class FakeColourSegmentor(FakeModel):
    """Logits ``scale * avgpool8(image)``: one class per BGR channel.

    The only weight is ``scale`` (0 after construction: every class equally
    likely).
    """

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.scale = torch.nn.Parameter(torch.zeros(()))

    def forward_heads(self, inputs):
        x = F.avg_pool2d(inputs, 8, ceil_mode=True)
        return dict(seg_logits=self.scale * x, depth=None, density=None)


@MODELS.register_module(force=True)
class FakeDDA(FakeModel):
    """The DDA layout: a ``segmentor_class`` segmentor (subclasses choose
    another) and a one-weight discriminator."""
    segmentor_class = FakeColourSegmentor

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.segmentor = self.segmentor_class()
        self.discriminator = torch.nn.Linear(1, 1)
