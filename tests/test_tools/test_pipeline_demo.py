"""``tools/pipeline_demo.sh`` (``make demo-pipeline``): the five steps on toy
data through the command-line tools. The tools themselves are tested on toy
data elsewhere (test_train_test_tools.py, test_gen_density_maps.py, ...);
here: the script parses and names only tools and configs that exist."""
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools' / 'pipeline_demo.sh'


def test_script_parses():
    subprocess.run(['bash', '-n', str(SCRIPT)], check=True)


def test_named_tools_and_configs_exist():
    text = SCRIPT.read_text()
    tools = set(re.findall(r'tools/\w+\.py', text))
    configs = set(re.findall(r'configs/[\w/.-]+\.py', text))
    assert {'tools/make_toy_data.py', 'tools/fit_gmm.py',
            'tools/gen_density_maps.py', 'tools/train.py',
            'tools/gen_pseudo_labels.py', 'tools/test.py',
            'tools/infer.py'} <= tools
    missing = [p for p in tools | configs if not (REPO / p).is_file()]
    assert not missing, missing


def test_make_target_runs_the_script():
    makefile = (REPO / 'Makefile').read_text()
    assert re.search(r'^demo-pipeline: install\n\t.*tools/pipeline_demo\.sh',
                     makefile, re.M)
