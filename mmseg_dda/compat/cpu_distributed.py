"""Distributed training on CPU machines (``--launcher pytorch`` without GPU).

**Upstream problems.** MMEngine 0.10.7's ``init_dist`` calls
``torch.cuda.set_device`` before ``init_process_group`` whatever the
backend, so ``tools/dist_train.sh`` fails on machines without a GPU
(``torch._C`` has no ``_cuda_setDevice``). And the Runner passes
``device_ids=[LOCAL_RANK]`` to every wrapper derived from
``DistributedDataParallel``, which PyTorch rejects for a CPU module.

**Fix.** :func:`init_cpu_distributed` starts the process group itself (the
Runner skips ``init_dist`` when one exists); :func:`cpu_model_wrapper`
writes ``device_ids=None`` into the config's model wrapper.
:func:`mmseg_dda.utils.runtime.load_config` and the train/test tools call
them only on CPU machines.

**Needed by.** MMEngine <= 0.10.7 on machines without CUDA. **Can go** when
MMEngine's ``mmengine/dist/utils.py: _init_dist_pytorch`` skips
``set_device`` for ``gloo`` and the Runner leaves ``device_ids`` unset for
CPU modules: ``tests/test_tools/test_dist.py`` then passes without them.
"""
from datetime import timedelta

import torch
from mmengine.config import Config


def cpu_model_wrapper(cfg: Config) -> None:
    """Let the DDP model wrappers run on CPU processes.

    A ``device_ids=None`` in the config wins over the Runner's default.
    Without a ``model_wrapper_cfg`` the Runner's own default wrapper is
    written out with ``device_ids=None``.

    Args:
        cfg (Config): The loaded config (changed in place).
    """
    from mmengine.registry import MODEL_WRAPPERS
    from torch.nn.parallel import DistributedDataParallel
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        return
    wrapper_type = wrapper.get('type', 'MMDistributedDataParallel')
    if isinstance(wrapper_type, str):
        wrapper_type = MODEL_WRAPPERS.get(wrapper_type)
    if isinstance(wrapper_type, type) and issubclass(wrapper_type,
                                                     DistributedDataParallel):
        wrapper['device_ids'] = None


def init_cpu_distributed(cfg: Config) -> bool:
    """Start the process group for ``--launcher pytorch`` on a CPU machine.

    Rendezvous through the ``RANK`` / ``WORLD_SIZE`` / ``MASTER_*``
    variables set by torchrun.

    Args:
        cfg: The loaded config (``launcher``, ``env_cfg.dist_cfg``).

    Returns:
        bool: True when a process group was started here.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    import torch.distributed as dist
    if not dist.is_available():
        raise RuntimeError('--launcher pytorch: this PyTorch build has no '
                           'torch.distributed support')
    if dist.is_initialized():
        return False
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    kwargs = {}
    if dist_cfg.get('timeout') is not None:
        kwargs['timeout'] = timedelta(seconds=dist_cfg['timeout'])
    dist.init_process_group(
        backend=dist_cfg.get('backend', 'gloo'), init_method='env://',
        **kwargs)
    return True
