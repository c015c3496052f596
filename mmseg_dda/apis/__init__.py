"""Pipeline steps and inference as functions (the tools are CLIs over them).

* STEP 1 source density maps: :func:`generate_source_density_maps`
  (``tools/gen_density_maps.py``); GMM priors: :func:`fit_gmm_priors`
  (``tools/fit_gmm.py``).
* STEP 3 pseudo-labels: :func:`generate_pseudo_labels`
  (``tools/gen_pseudo_labels.py``); the segmentor with checked loading:
  :func:`build_segmentor`.
* Inference on images (``tools/infer.py``): ``mmseg.apis.init_model`` /
  ``inference_model`` / ``MMSegInferencer`` work on every config of this
  project as they are; :mod:`.inference` adds checked loading, input
  expansion, batching and the output writers of the CLI.
"""
from .density_maps import StepInputError, generate_source_density_maps
from .gmm_fitting import fit_gmm_priors
from .inference import (IMAGE_EXTENSIONS, infer_images, init_dda_model,
                        list_images, maps_at_original_size)
from .pseudo_labels import generate_pseudo_labels
from .segmentor import build_segmentor

__all__ = [
    'IMAGE_EXTENSIONS', 'infer_images', 'init_dda_model', 'list_images',
    'maps_at_original_size', 'StepInputError', 'build_segmentor',
    'fit_gmm_priors', 'generate_pseudo_labels',
    'generate_source_density_maps'
]
