"""One prediction on one test item of a config, for figures.

Builds the config's test dataset and model (MMSeg's registries), loads the
checkpoint with checked loading and predicts one item; the demo figure
(:mod:`mmseg_dda.visualization.demo_figure`) draws the result.
"""
from typing import Optional

import cv2
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

from ..checkpoint import load_model_checkpoint
from ..utils.runtime import read_config


def predict_example(config: str, checkpoint: str, index: int,
                    cfg_options: Optional[dict] = None) -> dict:
    """Predict item ``index`` of ``config``'s test dataset.

    Args:
        config (str): Config file.
        checkpoint (str): Checkpoint of the config's model (checked: one
            that leaves a tensor unloaded is refused).
        index (int): Item of the test dataset.
        cfg_options (dict, optional): Overrides of the config.

    Returns:
        dict: ``image`` (RGB uint8 at the label's size), ``gt``, ``pred``
        (class ids), ``depth`` and ``density`` (``None`` without the head),
        ``classes`` and ``palette`` of the dataset.
    """
    cfg = read_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    if not 0 <= index < len(dataset):
        raise IndexError(f'index {index} outside the '
                         f'{len(dataset)} test images of {config}')
    model = MODELS.build(cfg.model)
    load_model_checkpoint(model, checkpoint, logger='silent')
    model.eval()
    item = dataset[index]
    with torch.no_grad():
        sample = model.test_step(
            dict(inputs=[item['inputs']],
                 data_samples=[item['data_samples']]))[0]
    gt = sample.gt_sem_seg.data[0].numpy()
    image = cv2.imread(sample.img_path, cv2.IMREAD_COLOR)[..., ::-1]
    image = cv2.resize(image, (gt.shape[1], gt.shape[0]),
                       interpolation=cv2.INTER_LINEAR)

    def field(name):
        return sample.get(name).data[0].numpy() if name in sample else None

    return dict(
        image=image, gt=gt, pred=sample.pred_sem_seg.data[0].numpy(),
        depth=field('pred_depth_map'), density=field('pred_density_map'),
        classes=dataset.metainfo['classes'],
        palette=dataset.metainfo['palette'])
