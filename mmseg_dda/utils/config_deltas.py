"""Config deltas that apply to more than one parent config.

MMEngine's Python configs inherit by merging dicts, and a base's expressions
are evaluated once, in the base, so a change such as "the same data at
another input size" cannot be written once in a base file and applied to two
parents. These functions write that delta once; a config calls one of them on
its ``_base_`` and stores the result with ``globals().update(...)``::

    _base_ = ['./syn2map_1280x760.py']
    from mmseg_dda.utils.config_deltas import data_cfgs_at_scale  # noqa
    globals().update(
        data_cfgs_at_scale(_base_, (640, 320), 'source_density_maps/c7small'))

The import must follow the ``_base_`` line: MMEngine reads a config whose
first statement is an import of a package as a new-style (``read_base``)
config. Imported functions are not config keys (MMEngine drops them).
"""
from typing import Sequence

PIPELINE_NAMES = ('source_pipeline', 'target_pipeline', 'test_pipeline',
                  'selftrain_pipeline')


def pipelines_at_scale(base, input_scale: Sequence[int]) -> dict:
    """The four pipelines of a dataset base with another input size.

    Args:
        base: The ``_base_`` of the calling config; it must define the
            pipelines named in :data:`PIPELINE_NAMES`.
        input_scale: ``(W, H)`` of every ``ResizeWithPad`` step.

    Returns:
        dict: ``input_scale`` and the four pipelines, the other steps and
        settings unchanged.
    """
    input_scale = tuple(input_scale)
    pipelines = {
        name: [
            dict(step, scale=input_scale)
            if step['type'] == 'ResizeWithPad' else step
            for step in base[name]
        ]
        for name in PIPELINE_NAMES
    }
    return dict(input_scale=input_scale, **pipelines)


def data_cfgs_at_scale(base, input_scale: Sequence[int],
                       density_map_dir: str) -> dict:
    """The data settings of a dataset base at another input size.

    The source density maps are computed on the native-resolution labels
    and pooled to the feature grid of the input, so another input size reads
    another set of maps (``density_map_dir``, written by STEP 1).

    Args:
        base: The ``_base_`` of the calling config (a dataset base such as
            ``configs/_base_/datasets/syn2city7_1280x760.py``).
        input_scale: ``(W, H)`` of every ``ResizeWithPad`` step.
        density_map_dir: Folder of the source density maps, relative to the
            SYNTHIA root.

    Returns:
        dict: ``input_scale``, ``density_map_dir``, the four pipelines and
        the ``train_dataloader``, ``selftrain_dataset``, ``val_dataloader``
        and ``test_dataloader`` deltas that put them in place.
    """
    cfgs = pipelines_at_scale(base, input_scale)
    val_dataloader = dict(dataset=dict(pipeline=cfgs['test_pipeline']))
    return dict(
        cfgs,
        density_map_dir=density_map_dir,
        train_dataloader=dict(
            dataset=dict(
                source=dict(
                    density_map_dir=density_map_dir,
                    pipeline=cfgs['source_pipeline']),
                target=dict(pipeline=cfgs['target_pipeline']))),
        selftrain_dataset=dict(pipeline=cfgs['selftrain_pipeline']),
        val_dataloader=val_dataloader,
        test_dataloader=val_dataloader)
