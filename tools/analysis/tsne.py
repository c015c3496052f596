"""t-SNE of per-pixel features from the source and the target domain.

Usage::

    python tools/analysis/tsne.py CONFIG CHECKPOINT [--num-images N]
        [--pixels-per-image 100] [--feature backbone|logits]
        [--out tsne.png] [--device cuda|cpu]

Reproduces the kind of figure of the paper: per-pixel features of the
joint (shared) feature space, sampled from ``N`` labelled source images
(``cfg.train_dataloader.dataset.source``, read with the validation
pipeline and without density maps) and ``N`` labelled target
validation images (``cfg.val_dataloader.dataset``), embedded in 2-D with
scikit-learn's t-SNE, coloured by ground-truth class and marked by domain
(circles: source, triangles: target). Features are the backbone's stride-8
output (``--feature backbone``, 2048 channels for ResNet-101) or the
segmentation logits (``--feature logits``); labels are brought to the
feature grid with PIL-style nearest sampling (``nearest-exact``).
"""
import argparse
import copy
from typing import List, Optional, Sequence, Tuple

import mmseg_dda  # noqa: F401  (registers the project's modules)
import matplotlib
import numpy as np
import torch
import torch.nn.functional as F

matplotlib.use('Agg')  # headless: files only
import matplotlib.pyplot as plt  # noqa: E402
from mmseg_dda.utils.atomic_io import atomic_open
from mmseg_dda.utils.cli_types import (non_negative_int, positive_float,
                                       positive_int)

DOMAINS = ('source', 'target')
_MARKERS = ('o', '^')


def sample_pixels(features: torch.Tensor, label: torch.Tensor, num: int,
                  generator: np.random.Generator, ignore_index: int = 255
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Draw up to ``num`` labelled feature-grid cells of one image.

    Args:
        features (torch.Tensor): ``(D, h, w)`` features.
        label (torch.Tensor): ``(H, W)`` train-id map at any resolution;
            resized to ``(h, w)`` with ``nearest-exact``.
        num (int): Maximum number of cells (without replacement).
        generator (np.random.Generator): Random source.
        ignore_index (int): Unlabelled value. Defaults to 255.

    Returns:
        tuple: ``(x (n, D) float32, y (n,) int64)``.
    """
    d, h, w = features.shape
    small = F.interpolate(label[None, None].float(), size=(h, w),
                          mode='nearest-exact')[0, 0].long()
    flat_label = small.reshape(-1).cpu().numpy()
    valid = np.flatnonzero(flat_label != ignore_index)
    pick = generator.choice(valid, size=min(num, valid.size), replace=False) \
        if valid.size else valid
    x = features.reshape(d, -1)[:, torch.from_numpy(pick).to(
        features.device)].T
    return x.float().cpu().numpy(), flat_label[pick].astype(np.int64)


def embed(x: np.ndarray, seed: int = 0, perplexity: float = 30.0,
          pca_dims: int = 50) -> np.ndarray:
    """PCA (to at most ``pca_dims``) then 2-D t-SNE.

    Args:
        x (np.ndarray): ``(n, D)`` features.
        seed (int): Random state of PCA and t-SNE.
        perplexity (float): t-SNE perplexity (capped below ``n``).
        pca_dims (int): PCA output dimension before t-SNE.

    Returns:
        np.ndarray: ``(n, 2)`` embedding.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    n = x.shape[0]
    if n < 3:
        raise ValueError(f't-SNE needs at least 3 points, got {n}')
    dims = min(pca_dims, n, x.shape[1])
    if dims < x.shape[1]:
        x = PCA(n_components=dims, random_state=seed).fit_transform(x)
    tsne = TSNE(n_components=2, perplexity=min(perplexity, (n - 1) / 3),
                init='pca', random_state=seed)
    return tsne.fit_transform(x)


def plot_embedding(points: np.ndarray, labels: np.ndarray,
                   domains: np.ndarray, class_names: Sequence[str],
                   palette: Optional[Sequence[Sequence[int]]],
                   out: str) -> None:
    """Scatter the embedding (colour = class, marker = domain), PNG.

    Args:
        points (np.ndarray): ``(n, 2)`` embedding.
        labels (np.ndarray): ``(n,)`` class ids.
        domains (np.ndarray): ``(n,)`` 0 = source, 1 = target.
        class_names (Sequence[str]): Class names.
        palette (Sequence, optional): RGB colours per class (0..255).
        out (str): Output PNG, written atomically.
    """
    if palette is None:
        cmap = matplotlib.colormaps['tab20']
        colors = [cmap(i % 20) for i in range(len(class_names))]
    else:
        colors = [tuple(np.asarray(c) / 255.0) for c in palette]
    fig, ax = plt.subplots(figsize=(8, 8))
    for dom, marker in enumerate(_MARKERS):
        for c, name in enumerate(class_names):
            sel = (domains == dom) & (labels == c)
            if sel.any():
                ax.scatter(points[sel, 0], points[sel, 1], s=8,
                           marker=marker, color=colors[c], alpha=0.7,
                           label=f'{name} ({DOMAINS[dom]})')
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=6, markerscale=2, ncol=2, loc='best')
    ax.set_title('t-SNE of per-pixel features (o source, ^ target)')
    fig.tight_layout()
    try:
        with atomic_open(out) as f:
            fig.savefig(f, format='png', dpi=120)
    finally:
        plt.close(fig)


@torch.no_grad()
def collect_features(segmentor, preprocessor, dataset, num_images: int,
                     pixels_per_image: int, feature: str,
                     generator: np.random.Generator
                     ) -> Tuple[np.ndarray, np.ndarray]:
    """Features and labels of ``pixels_per_image`` cells of the first
    ``num_images`` labelled images of ``dataset``."""
    from mmengine.dataset import pseudo_collate
    xs: List[np.ndarray] = []
    ys: List[np.ndarray] = []
    for idx in range(min(num_images, len(dataset))):
        data = preprocessor(pseudo_collate([dataset[idx]]), False)
        sample = data['data_samples'][0]
        if 'gt_sem_seg' not in sample:
            raise ValueError(f'{sample.img_path}: t-SNE needs labelled '
                             'images (no gt_sem_seg in the data sample)')
        if feature == 'backbone':
            feats = segmentor.extract_feat(data['inputs'])[-1][0]
        else:
            feats = segmentor.forward_heads(data['inputs'])['seg_logits'][0]
        x, y = sample_pixels(feats, sample.gt_sem_seg.data[0],
                             pixels_per_image, generator)
        xs.append(x)
        ys.append(y)
    if not xs:
        raise ValueError('t-SNE: dataset is empty')
    return np.concatenate(xs), np.concatenate(ys)


def main(argv=None) -> np.ndarray:
    parser = argparse.ArgumentParser(description='t-SNE of pixel features')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--num-images', type=positive_int, default=10,
                        help='images per domain')
    parser.add_argument('--pixels-per-image', type=positive_int,
                        default=100)
    parser.add_argument('--feature', choices=['backbone', 'logits'],
                        default='backbone')
    parser.add_argument('--perplexity', type=positive_float, default=30.0)
    parser.add_argument('--seed', type=non_negative_int, default=0)
    parser.add_argument('--out', default='tsne.png')
    parser.add_argument('--device', default=None)
    args = parser.parse_args(argv)

    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    # DDA or segmentor config, checkpoint of either, checked loading.
    from mmseg_dda.apis import build_segmentor
    from mmseg_dda.utils.runtime import read_config

    cfg = read_config(args.config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    logger = MMLogger.get_instance('tsne', log_level='INFO')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    train = cfg.train_dataloader.dataset
    if train.get('source') is None:
        raise KeyError(f'{args.config}: train_dataloader.dataset has no '
                       '`source` entry (SourceTargetDataset expected)')
    # Only images and labels are needed: the source set is read with the
    # evaluation pipeline and without its precomputed density maps.
    source = copy.deepcopy(train['source'])
    source['pipeline'] = copy.deepcopy(cfg.val_dataloader.dataset.pipeline)
    if 'with_density_maps' in source:
        source['with_density_maps'] = False
    datasets = [DATASETS.build(source),
                DATASETS.build(cfg.val_dataloader.dataset)]
    segmentor, preprocessor = build_segmentor(cfg, args.checkpoint, device,
                                              logger)
    rng = np.random.default_rng(args.seed)
    xs, ys, ds = [], [], []
    for dom, dataset in enumerate(datasets):
        x, y = collect_features(segmentor, preprocessor, dataset,
                                args.num_images, args.pixels_per_image,
                                args.feature, rng)
        xs.append(x)
        ys.append(y)
        ds.append(np.full(len(y), dom))
    points = embed(np.concatenate(xs), args.seed, args.perplexity)
    meta = datasets[1].metainfo
    plot_embedding(points, np.concatenate(ys), np.concatenate(ds),
                   meta['classes'], meta.get('palette'), args.out)
    logger.info(f't-SNE of {len(points)} pixels -> {args.out}')
    return points


if __name__ == '__main__':
    main()
