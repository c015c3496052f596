"""Grid consistency: model, GMM set and maps must agree (density/grid.py)."""
import pytest

from mmseg_dda.density.grid import GridMismatchError, check_grids


def test_check_grids_names_all_three():
    check_grids((4, 5), (4, 5), (4, 5))
    check_grids((4, 5), None, None)  # unknown parts are not compared
    with pytest.raises(GridMismatchError) as e:
        check_grids((190, 320), (96, 161), (95, 160),
                    model_desc='model M', gmm_desc='GMM set G',
                    maps_desc='maps in D')
    msg = str(e.value)
    assert 'maps in D: 95x160' in msg and 'GMM set G: 96x161' in msg
    assert 'model M: 190x320' in msg and 'tools/fit_gmm.py' in msg
