# Two set-up commands for a fresh machine (see README):
#   make demo   - install (if needed) and run the demo study on generated data
#   make demo-seeds - the seed study (seeds 0-7), mean +- std and 95% intervals
#   make demo-pipeline - the five pipeline steps through the tools on toy data
#   make test   - install (if needed) and run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmseg_dda-installed

.PHONY: install demo demo-seeds demo-pipeline test bench clean-demo

$(STAMP): requirements/runtime.txt requirements/tests.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) tools/run_demo.py $(DEMO_ARGS)

demo-seeds: install
	$(PY) tools/run_demo.py --study $(DEMO_ARGS)

demo-pipeline: install
	PY=$(PY) bash tools/pipeline_demo.sh

# Two worker processes, one thread each (a test module stays on one worker,
# so its fixtures are built once); PYTEST_ARGS="-n 0" runs in one process.
test: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest tests -n 2 --dist loadfile $(PYTEST_ARGS)

bench: install
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean-demo:
	rm -rf demo_output pipeline_output
