# `make lab` opens the series in JupyterLab, `make test` lints and runs every test and notebook.
# Both create the virtual environment in .venv first if it is missing or out of date.
VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: lab test figures notebooks

$(VENV)/installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --upgrade pip
	$(PYTHON) -m pip install -r requirements.txt
	touch $@

# Jupyter refuses to run as root (common in containers) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(VENV)/installed
	$(PYTHON) -m jupyter lab $(ALLOW_ROOT) notebooks/01_cross_correlation.ipynb

# Lint and format checks first (seconds), then every test and notebook.
test: $(VENV)/installed
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pytest

figures: $(VENV)/installed
	$(PYTHON) figures/make_figures.py

# Re-execute every lesson top to bottom in place (before committing a changed notebook); widget
# state is not saved into the notebooks.
notebooks: $(VENV)/installed
	$(PYTHON) -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.store_widget_state=False \
		notebooks/0*.ipynb
