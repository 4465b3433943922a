# Two commands a learner needs:  `make lab`  (set up and open the course)
#                                `make test` (set up and run every test)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup setup-dev lab test test-environments bench outputs stamp clean

setup: $(VENV)/.installed  ## create .venv with what a learner needs: the pinned requirements and the helpers package
setup-dev: $(VENV)/.installed-dev  ## add the test and maintenance tools (requirements-dev.txt)

# tools/setup_venv.py uses uv when it can (about 15 s from nothing) and pip otherwise, and says what it does.
$(VENV)/.installed: requirements.txt pyproject.toml tools/setup_venv.py
	$(PYTHON) tools/setup_venv.py --venv $(VENV) requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PYTHON) tools/setup_venv.py --venv $(VENV) requirements-dev.txt
	touch $@

lab: setup  ## open the chapters in JupyterLab
	$(BIN)/jupyter lab chapters/ $(if $(filter 0,$(shell id -u)),--allow-root)

# Tests always run on the offline course model, unpaced, whatever keys this shell has.
COURSE_ENV := env -u OPENAI_API_KEY -u OPENAI_BASE_URL -u COURSE_MODEL -u LANGSMITH_API_KEY COURSE_MODEL_DELAY=0

test: setup-dev  ## run the unit tests and check every chapter's committed outputs with nbval
	$(COURSE_ENV) $(BIN)/python -m pytest

test-environments: setup-dev  ## Binder, Colab-like, offline and browser checks (needs PyPI, root and Debian's chromium)
	$(BIN)/python -m pip install --quiet -r environments/requirements.txt
	$(COURSE_ENV) $(BIN)/python -m pytest -p no:cacheprovider -o addopts= -o timeout=1800 -rP environments  # -rP: print the Colab-like report

bench: setup-dev  ## the benchmarks: print Markdown tables, write build/benchmarks/; then a learner's first minute (needs PyPI)
	$(COURSE_ENV) $(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.first_minute

outputs: setup-dev  ## re-execute every chapter on the course model, writing the outputs to commit (idempotent)
	$(BIN)/python tools/execute_chapters.py

stamp: setup-dev  ## stamp Colab/Binder badges and the set-up cell from [tool.course] in pyproject.toml
	$(BIN)/python tools/stamp_chapters.py

clean:
	rm -rf $(VENV) build .pytest_cache
