# Two commands a learner needs:  `make lab`  (set up and open the course)
#                                `make test` (set up and run every test)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lab test test-environments bench outputs stamp clean

setup: $(STAMP)  ## create .venv and install the pinned requirements and the helpers package

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	touch $(STAMP)

lab: setup  ## open the chapters in JupyterLab
	$(BIN)/jupyter lab chapters/ $(if $(filter 0,$(shell id -u)),--allow-root)

# Tests always run on the offline course model, unpaced, whatever keys this shell has.
COURSE_ENV := env -u OPENAI_API_KEY -u OPENAI_BASE_URL -u COURSE_MODEL -u LANGSMITH_API_KEY COURSE_MODEL_DELAY=0

test: setup  ## run the unit tests and check every chapter's committed outputs with nbval
	$(COURSE_ENV) $(BIN)/python -m pytest

test-environments: setup  ## Binder, Colab-like, offline and browser checks (needs PyPI, root and Debian's chromium)
	$(BIN)/python -m pip install --quiet -r environments/requirements.txt
	$(COURSE_ENV) $(BIN)/python -m pytest -p no:cacheprovider -o addopts= -o timeout=1800 -rP environments  # -rP: print the Colab-like report

bench: setup  ## the streaming benchmark: prints a Markdown table, writes build/benchmarks/ (about 3 minutes)
	$(COURSE_ENV) $(BIN)/python -m benchmarks

outputs: setup  ## re-execute every chapter on the course model, writing the outputs to commit (idempotent)
	$(BIN)/python tools/execute_chapters.py

stamp: setup  ## stamp Colab/Binder badges and the set-up cell from [tool.course] in pyproject.toml
	$(BIN)/python tools/stamp_chapters.py

clean:
	rm -rf $(VENV) build .pytest_cache
