"""bench/benchmark_train_step.py (one process per path) and
bench/benchmark_inference.py, on narrow networks (``--tiny``)."""
import json
import sys

import pytest

from _helpers import REPO

BENCH = REPO / 'bench'
sys.path.insert(0, str(BENCH))


@pytest.fixture(scope='module')
def train_bench():
    import benchmark_train_step
    return benchmark_train_step


def test_train_step_paths_in_own_processes(tmp_path, train_bench,
                                           capsys):
    # The driver runs here; each path still gets its own worker process.
    out = tmp_path / 'ts.json'
    returned = train_bench.main([
        '--tiny', '--depth', '50', '--warmup', '0', '--iters', '1',
        '--threads', '1', '--data-samples', '0', '--variants',
        'amp_channels_last', '--out', str(out)])
    printed = capsys.readouterr().out
    res = json.loads(out.read_text())
    assert [p['path'] for p in returned['paths']] == [
        p['path'] for p in res['paths']]
    paths = {p['path']: p for p in res['paths']}
    assert list(paths) == ['reference', 'amp_channels_last']
    ref, amp = paths['reference'], paths['amp_channels_last']
    assert amp['ratio_to_reference_median'] == pytest.approx(
        amp['median_s'] / ref['median_s'])
    # Same network and data; the fast mode's losses differ (bf16).
    assert paths['amp_channels_last'][
        'first_iter_max_abs_loss_diff_to_reference'] > 0
    for p in paths.values():
        mem = p['memory']
        assert mem['peak_rss_bytes'] >= mem['between_steps_rss_bytes'] > 0
        assert mem['optimiser_state_bytes'] > 0
        assert 'source pass' in mem['step_peak_above_resident_bytes']
        assert mem['discriminator_map_bytes'] == 4 * 7 * 320 * 640
    assert 'bf16 AMP + channels-last' in printed


def test_summarise_path_medians_and_memory(train_bench):
    info = dict(path='fp32', build_s=1., rss_start=100, rss_model=300,
                params_segmentor_bytes=40, params_discriminator_bytes=8,
                params_segmentor=10, params_discriminator=2)
    steps = [dict(elapsed=e, losses={'a': 1.}, phases={'forward': e / 2},
                  rss_before=300, rss_peak=300 + 10 * i, cuda_peak=None,
                  segment_peaks={'source pass': 300 + 5 * i},
                  optimiser_state_bytes=40)
             for i, e in enumerate((9., 3., 1., 2.))]
    res = train_bench.summarise_path(info, steps, dict(
        process_peak_rss_bytes=999), 1, (320, 640), 7, 'cpu')
    assert res['median_s'] == 2. and res['min_s'] == 1.
    assert res['warmup_s'] == [9.]
    mem = res['memory']
    assert mem['peak_rss_bytes'] == 330  # the warm-up step not counted
    assert mem['step_peak_above_resident_bytes'] == {'source pass': 15}
    assert mem['parameters_bytes'] == 48
    assert mem['model_resident_rss_bytes'] == 200


def test_train_step_rejects_unknown_variant(train_bench):
    with pytest.raises(SystemExit):
        train_bench.parse_args(['--variants', 'fp8'])


def test_inference_benchmark_tiny(tmp_path):
    import benchmark_inference
    out = tmp_path / 'inf.json'
    res = benchmark_inference.main([
        '--tiny', '--size', '76', '128', '--ori-size', '100', '200',
        '--warmup', '0', '--iters', '1', '--out', str(out)])
    rows = {r['variant']: r for r in res['variants']}
    assert list(rows) == list(benchmark_inference.VARIANTS)
    fp32 = rows['fp32']
    for r in rows.values():
        assert r['speed_vs_fp32'] == pytest.approx(
            fp32['median_s'] / r['median_s'])
    for r in rows.values():
        assert r['images_per_s'] > 0
        assert r['prediction_shape'] == [1, 100, 200]
    assert json.loads(out.read_text())['variants'][0]['variant'] == 'fp32'
