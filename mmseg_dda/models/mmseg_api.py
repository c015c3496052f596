"""What MMSeg's inference API expects of a model (DDA and the segmentor).

``mmseg.apis.init_model``, ``inference_model`` and ``MMSegInferencer``
build the model from its config, then set ``model.cfg`` and
``model.dataset_meta`` and read the pipeline from that config. Two things of
this project's configs do not fit as they are:

* the test pipelines load labels (``LoadMappedAnnotations``) and set
  ``ori_shape`` to the evaluation label's shape. Setting ``model.cfg``
  therefore switches the config's test pipelines to their inference form
  (:func:`~mmseg_dda.datasets.transforms.to_inference_config`, in place:
  MMSeg reads them from the same config object afterwards);
* ``inference_model`` switches the first transform of ``test_pipeline`` to
  ``LoadImageFromNDArray`` for an array input and never back, so a later
  call with a file name failed. ``model.cfg`` therefore returns a copy of the
  stored config: MMSeg switches the copy it reads, the stored config keeps
  ``LoadImageFromFile``;
* checkpoints without class names (converted reference files) get MMSeg's
  guess from the class count: the classes of the first MMSeg dataset with
  as many classes (iSAID's for 16), or Cityscapes' 19. ``dataset_meta``
  replaces such a guess, and any list of the wrong length, with this
  project's 16/7-class names and Cityscapes train-id palette.
"""
import copy
import warnings
from typing import Optional

from ..datasets.class_mappings import class_names, class_palette
from ..datasets.transforms.inference import to_inference_config


def _mmseg_dataset_classes() -> set:
    """Class lists of MMSeg's built-in datasets (its guesses)."""
    from mmseg.utils import dataset_aliases, get_classes
    return {tuple(get_classes(name)) for name in dataset_aliases}


def default_dataset_meta(num_classes: int) -> Optional[dict]:
    """Class names and palette of the 16- or 7-class protocol (else None)."""
    if num_classes not in (16, 7):
        return None
    return dict(classes=class_names(num_classes),
                palette=class_palette(num_classes))


class MMSegAPIMixin:
    """``cfg`` and ``dataset_meta`` as MMSeg's inference API needs them.

    The host class provides ``num_classes``.
    """

    @property
    def cfg(self):
        """A copy of the config set by MMSeg's ``init_model`` (inference
        pipelines).

        A copy, so that what a reader changes in it (MMSeg's
        ``inference_model`` switches the image loader for arrays) never
        reaches the next reader; assign ``model.cfg`` to change it.
        """
        try:
            cfg = self.__dict__['_mmseg_api_cfg']
        except KeyError:
            raise AttributeError('cfg') from None
        return copy.deepcopy(cfg)

    @cfg.setter
    def cfg(self, cfg) -> None:
        self.__dict__['_mmseg_api_cfg'] = to_inference_config(cfg)

    @property
    def dataset_meta(self) -> Optional[dict]:
        """``classes`` and ``palette``; the 16/7-class ones by default."""
        meta = self.__dict__.get('_mmseg_api_dataset_meta')
        return meta if meta is not None else default_dataset_meta(
            self.num_classes)

    @dataset_meta.setter
    def dataset_meta(self, meta: Optional[dict]) -> None:
        classes = (meta or {}).get('classes')
        default = default_dataset_meta(self.num_classes)
        if default is not None and (
                classes is None or len(classes) != self.num_classes
                or tuple(classes) in _mmseg_dataset_classes()):
            if classes is not None and tuple(classes) != tuple(
                    default['classes']):
                warnings.warn(
                    f'{type(self).__name__}: dataset_meta names '
                    f'{len(classes)} classes of another dataset '
                    f'({", ".join(map(str, classes[:3]))}, ...) for a '
                    f'{self.num_classes}-class model; using the '
                    f'{self.num_classes}-class names and palette of '
                    'mmseg_dda')
            meta = default
        self.__dict__['_mmseg_api_dataset_meta'] = meta
