# `make lab` opens the series in JupyterLab, `make test` lints and runs every test and notebook.
# What `make lab` opens is the learner edition (learner/en/: exercises to do, no solutions) in your
# own working copy my-lessons/en/ (git-ignored, made on first use, tools/my_lessons.py); `make lab-zh`
# does the same for the Chinese edition with JupyterLab's own interface in Chinese.
# The instructor edition, notebooks/, is the source: `make zh` regenerates the Chinese edition
# (notebooks/zh/) from it and the catalogues in locale/zh/lessons/, then the learner edition of
# both languages (`make learner` alone rebuilds only the learner edition).
# All create the virtual environment in .venv first if it is missing or out of date.
# README.md, README.zh.md and docs/instructors*.md give the plain commands for Windows: keep them in
# step with the recipes below (tests/test_readme_commands.py compares them).
VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: lab lab-zh learner test test-fast zh figures notebooks site

$(VENV)/installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --upgrade pip
	$(PYTHON) -m pip install -r requirements.txt
	touch $@

# Jupyter refuses to run as root (common in containers) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# The first line makes or updates my-lessons/en/ from learner/en/ without overwriting your work.
# The repository is JupyterLab's root: by default it would be the notebook's folder, and the lessons'
# figures (../../figures/) would lie outside it and not show.
lab: $(VENV)/installed
	$(PYTHON) -m tools.my_lessons en
	$(PYTHON) -m jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=. my-lessons/en/01_cross_correlation.ipynb

# lab-zh-settings/ holds the one setting that switches JupyterLab to Chinese; only this target uses it,
# so `make lab` keeps its interface (and your own JupyterLab settings) as they are.
lab-zh: $(VENV)/installed
	$(PYTHON) -m tools.my_lessons zh
	$(PYTHON) -m jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=. --LabApp.user_settings_dir=lab-zh-settings \
		my-lessons/zh/01_cross_correlation.ipynb

# Lint and format checks first (seconds), then every test and notebook on four workers (more than
# the two cores: much of the suite waits on kernels, browsers, dask and time limits; on a 2-core machine
# 303 s re-run in the same clone, 397-426 s from a fresh clone; when three were last compared, four
# took 381 s against 440 s); --dist loadscope keeps each notebook's cells, and each module, together.
test: $(VENV)/installed
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pytest -n 4 --dist loadscope

# The unit tests alone, in one process (seconds): the loop while changing code. The marked
# suites (pyproject.toml) are left out; `pytest --lf` re-runs just what failed last time.
FAST := not (slow or browser or grading or nbgrader or notebooks)
test-fast: $(VENV)/installed
	$(PYTHON) -m pytest -m "$(FAST)"

# Updates the catalogues (a changed English paragraph, code string or comment becomes fuzzy or
# untranslated), writes notebooks/zh/ (code cells with their strings and comments translated), runs
# the Chinese notebooks whose code changed (a kernel in notebooks/zh/, in Chinese: their outputs are
# their own), then writes the learner edition of both languages: one command refreshes every
# generated edition. `python -m tools.translation check` lists what is left to translate or run.
zh: $(VENV)/installed
	$(PYTHON) -m tools.translation
	$(PYTHON) -m classroom learner

# The learner edition alone: learner/en/ and learner/zh/ from notebooks/ and notebooks/zh/ (lesson
# outputs kept, exercises as stubs with their visible checks, links rewritten for learner/).
learner: $(VENV)/installed
	$(PYTHON) -m classroom learner

# A static website of both editions in build/site/ (open build/site/index.html; no server, no
# network): the committed learner edition as it ran, nothing re-executed (site/build.py, Sphinx).
# Phony: without that, make would take the folder site/ for the target, already made.
site: $(VENV)/installed
	$(PYTHON) site/build.py

figures: $(VENV)/installed
	$(PYTHON) figures/make_figures.py

# Re-execute every lesson top to bottom in place (before committing a changed notebook); widget
# state is not saved into the notebooks.
notebooks: $(VENV)/installed
	$(PYTHON) -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.store_widget_state=False \
		notebooks/0*.ipynb
