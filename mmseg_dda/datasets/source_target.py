"""Paired source/target dataset for UDA training (docs/method.md §12.4)."""
import copy
from typing import Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmseg.registry import DATASETS
from torch.utils.data import Dataset


def _build(cfg: Union[dict, Dataset]) -> Dataset:
    if isinstance(cfg, Dataset):
        return cfg
    return DATASETS.build(copy.deepcopy(cfg))


@DATASETS.register_module()
class SourceTargetDataset(Dataset):
    """One source sample and one target sample per index.

    ``len`` is the source length. Item ``i`` pairs ``source[i]`` with
    ``target[j]``, ``j = target_index(i)`` drawn from a generator seeded by
    ``(seed, i)`` only: no epoch or worker state, so every DDP rank, worker
    and resumed run sees the same pair for the same ``i``; the sampler
    (``InfiniteSampler`` / ``DefaultSampler``) decides which ``i`` a rank
    gets. The target is sampled independently of the source order (as the
    reference's two shuffled loaders).

    Returns ``dict(inputs, data_samples, target_inputs,
    target_data_samples)``; MMEngine's ``pseudo_collate`` turns each value
    into a list. ``metainfo`` is the target's (classes and palette for
    evaluation and visualisation).

    Args:
        source: Source dataset or its config.
        target: Target dataset or its config.
        seed: Pairing seed.
        lazy_init: Defer ``full_init`` of both datasets.
    """

    def __init__(self,
                 source: Union[dict, Dataset],
                 target: Union[dict, Dataset],
                 seed: int = 0,
                 lazy_init: bool = False) -> None:
        self.source = _build(source)
        self.target = _build(target)
        self.seed = int(seed)
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """Meta information of the target dataset."""
        meta = getattr(self.target, 'metainfo', {})
        return copy.deepcopy(meta)

    def full_init(self) -> None:
        """Fully initialise both datasets (MMEngine ``BaseDataset`` API)."""
        if self._fully_initialized:
            return
        for ds in (self.source, self.target):
            if isinstance(ds, BaseDataset) or hasattr(ds, 'full_init'):
                ds.full_init()
        if len(self.target) == 0:
            raise ValueError('SourceTargetDataset: the target dataset is '
                             'empty')
        self._fully_initialized = True

    def target_index(self, idx: int) -> int:
        """Target index paired with source index ``idx``."""
        rng = np.random.Generator(np.random.PCG64([self.seed, int(idx)]))
        return int(rng.integers(len(self.target)))

    def __len__(self) -> int:
        self.full_init()
        return len(self.source)

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        src = self.source[idx]
        tgt = self.target[self.target_index(idx)]
        for name, item in (('source', src), ('target', tgt)):
            if not isinstance(item, dict) or 'inputs' not in item:
                raise TypeError(
                    f'SourceTargetDataset: the {name} pipeline must end with '
                    'a packing transform (PackDDAInputs / PackSegInputs) '
                    f'giving inputs and data_samples, got {type(item)}')
        return dict(
            inputs=src['inputs'],
            data_samples=src['data_samples'],
            target_inputs=tgt['inputs'],
            target_data_samples=tgt['data_samples'])
