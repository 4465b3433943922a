# Two commands a learner needs:  `make lab`  (set up and open the course)
#                                `make test` (set up and run every test)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lab test outputs check clean

setup: $(STAMP)  ## create .venv and install the pinned requirements and the helpers package

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	touch $(STAMP)

lab: setup  ## open the chapters in JupyterLab
	$(BIN)/jupyter lab chapters/

test: setup  ## run the unit tests and check every chapter's committed outputs with nbval
	COURSE_MODEL_DELAY=0 $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build .pytest_cache
