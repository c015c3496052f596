"""Where a training config names its GMM set, and the check that they agree.

A DDA config names the GMM prior in up to three places:

* ``model.density`` (``params``, ``set_name``): the prior the model trains
  with. This is the one name; the other two follow it.
* ``ComputeSourceDensityMaps(gmm=..., set_name=...)`` in the source pipeline
  (maps computed on the fly). Configs derive it from the model, e.g.
  ``gmm={{_base_.model.density.params}}``.
* the STEP 1 folder ``density_map_dir``: its ``manifest.json`` records the
  GMM set the maps were made with (compared by
  :func:`~mmseg_dda.density.manifest.check_config_density_maps`).

:func:`check_config_gmm` refuses a config whose on-the-fly transform names
another set than the model; ``tools/train.py`` runs it (through
``check_config_density_maps``) before anything is built.
"""
import os.path as osp
from typing import Dict, List, NamedTuple, Optional

from ..utils.provenance import sha256_arrays
from .gmm import GMMParams, load_gmm_params

#: Registered name of the on-the-fly density transform.
ON_THE_FLY_TRANSFORM = 'ComputeSourceDensityMaps'


class GMMRef(NamedTuple):
    """One place a config names a GMM set."""
    where: str
    params: str
    set_name: Optional[str]


def gmm_identity(params: GMMParams) -> Dict:
    """Name, SHA-256 of the parameters (float32, as used) and class order of
    a GMM set, as flat manifest fields (a diff names the one that differs)."""
    return dict(
        gmm_name=params.name,
        gmm_params_sha256=sha256_arrays(params.mu, params.var, params.pi),
        gmm_class_names=params.class_names)


def _source_dataset(cfg) -> dict:
    ds = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    return ds.get('source', ds)


def config_gmm_refs(cfg) -> List[GMMRef]:
    """Every GMM set a training config names, the model's first.

    Returns:
        list[GMMRef]: ``model.density`` (when it names ``params``), then each
        :data:`ON_THE_FLY_TRANSFORM` of the source pipeline.
    """
    refs = []
    density = (cfg.get('model') or {}).get('density') or {}
    if density.get('params') is not None:
        refs.append(
            GMMRef('model.density', str(density['params']),
                   density.get('set_name')))
    pipeline = _source_dataset(cfg).get('pipeline') or []
    for i, t in enumerate(pipeline):
        if isinstance(t, dict) and t.get('type') == ON_THE_FLY_TRANSFORM:
            refs.append(
                GMMRef(f'{ON_THE_FLY_TRANSFORM} (source pipeline step {i})',
                       str(t.get('gmm')), t.get('set_name')))
    return refs


def _identity(ref: GMMRef):
    """Parameter identity of a set, or its normalised name when the file
    does not exist yet (e.g. a GMM still to be fitted by tools/fit_gmm.py)."""
    try:
        params = load_gmm_params(ref.params, ref.set_name)
    except FileNotFoundError:
        return ('unloaded', osp.normpath(ref.params), ref.set_name)
    ident = gmm_identity(params)
    # The parameters decide the maps, not what the set is called.
    names = ident['gmm_class_names']
    return ('params', ident['gmm_params_sha256'],
            None if names is None else tuple(names))


def _same(a, b) -> bool:
    """Same identity; a class order that only one side records (a JSON
    without ``_meta``) is not compared."""
    if a[:2] != b[:2]:
        return False
    return a[0] != 'params' or None in (a[2], b[2]) or a[2] == b[2]


def _fmt(ref: GMMRef) -> str:
    name = repr(ref.params)
    return name if ref.set_name is None else \
        f'{name} (set_name={ref.set_name!r})'


def check_config_gmm(cfg) -> None:
    """Refuse a config whose on-the-fly density maps use another GMM set
    than the model.

    Two references agree when they load the same parameters (same values
    and, where both record one, class order); a file that does not exist yet
    is compared by path and set name.

    Raises:
        ValueError: Naming both places and both sets.
    """
    refs = config_gmm_refs(cfg)
    if len(refs) < 2 or refs[0].where != 'model.density':
        return
    model_ref = refs[0]
    model_id = _identity(model_ref)
    for ref in refs[1:]:
        if ref.params == 'None':
            raise ValueError(
                f'{ref.where}: no gmm given; use the model\'s GMM set '
                f'{_fmt(model_ref)}, e.g. '
                'gmm={{_base_.model.density.params}}')
        if not _same(_identity(ref), model_id):
            raise ValueError(
                f'{ref.where} uses the GMM set {_fmt(ref)} but '
                f'model.density uses {_fmt(model_ref)}: the source density '
                'maps must come from the prior the model trains with; '
                'derive the transform\'s gmm from model.density.params')
