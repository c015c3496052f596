"""What made a folder of pseudo-labels, and whether it fits a dataset.

STEP 3 (``tools/gen_pseudo_labels.py``) records in the folder's
``manifest.json`` (:mod:`mmseg_dda.utils.provenance`) the identity of the
weights, the threshold, the component filter, the class count, the input size,
the target dataset and split and the file format. Self-training datasets
(``pseudo_label_dir``) compare the class count, format and dataset with
:func:`check_pseudo_label_manifest`; folders without a manifest are used with
a warning.
"""
from typing import Dict, Optional

from mmengine.logging import print_log

from ..utils.provenance import diff_fields, manifest_path, read_manifest

#: ``kind`` of the manifest of a pseudo-label folder.
MANIFEST_KIND = 'pseudo_labels'
_WARNED = set()


def check_pseudo_label_manifest(folder: str, expected: Dict,
                                owner: str) -> Optional[Dict]:
    """Compare the manifest of a pseudo-label folder with a reader's values.

    Args:
        folder (str): Pseudo-label folder.
        expected (dict): Manifest ``inputs`` fields the reader knows, e.g.
            ``num_classes``, ``format``, ``dataset_type``.
        owner (str): Who reads, for the messages.

    Returns:
        dict | None: The manifest, or None (one warning) when there is none.

    Raises:
        ValueError: If the manifest disagrees, naming the fields and folder.
    """
    manifest = read_manifest(folder)
    if manifest is None:
        if folder not in _WARNED:
            _WARNED.add(folder)
            print_log(
                f'{owner}: {folder} has no manifest.json (labels made by the '
                'reference code or an older version of '
                'tools/gen_pseudo_labels.py): their class count and '
                'dataset cannot be checked', logger='current', level=30)
        return None
    if manifest.get('kind') != MANIFEST_KIND:
        raise ValueError(f'{owner}: {folder} holds {manifest.get("kind")!r}, '
                         f'not pseudo-labels ({manifest_path(folder)})')
    diffs = diff_fields(manifest['inputs'], expected, keys=expected)
    if diffs:
        raise ValueError(
            f'{owner}: the pseudo-labels in {folder} were made for other '
            f'settings ({manifest_path(folder)}, recorded vs this config): '
            + '; '.join(diffs) + '. Regenerate them with '
            'tools/gen_pseudo_labels.py --overwrite, or point '
            'pseudo_label_dir at labels made for this dataset.')
    return manifest
