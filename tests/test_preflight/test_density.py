"""Density maps of another grid; a GMM of another class count."""
import json

import mmseg_dda  # noqa: F401
from mmseg_dda.preflight import run_preflight

from _preflight_rows import only_failure


def test_maps_of_another_grid(own_data_cfg):
    cfg, syn, _ = own_data_cfg
    manifest = syn / 'source_density_maps' / 'tiny' / 'manifest.json'
    data = json.loads(manifest.read_text())
    data['inputs']['grid_hw'] = [10, 16]
    manifest.write_text(json.dumps(data))
    row = only_failure(run_preflight(cfg))
    assert (row.group, row.name) == ('density', 'feature grid')
    assert row.detail.startswith(
        'feature grid mismatch (h x w): source density maps in '
        f'{syn}/source_density_maps/tiny: 10x16; GMM set ')
    assert row.detail.endswith('model at input 57x96: 8x13')
    assert 'tools/fit_gmm.py' in row.fix and \
        'tools/gen_density_maps.py' in row.fix


def test_gmm_of_another_class_count(tiny_cfg, tmp_path):
    from _helpers import write_toy_gmm
    gmm = write_toy_gmm(tmp_path / 'gmm7.json', 7, (8, 13))
    tiny_cfg.model.density.params = str(gmm)
    report = run_preflight(tiny_cfg)
    names = [c.name for c in report.failures]
    assert 'GMM classes' in names, report.table()
    row = report.failures[names.index('GMM classes')]
    assert row.detail.endswith('has 7 classes but the model has 16')
