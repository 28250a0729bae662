"""The learner edition: lesson outputs kept, exercises as stubs, links that work from learner/.

Committed under ``learner/en/`` and ``learner/zh/`` for self-learners (``python -m classroom
learner``, ``make learner``): built from the instructor notebooks with the student release's
exercise steps (classroom.release), then the exercise cells' outputs cleared and relative links
rewritten to resolve from where the learner edition lives.
"""

from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor, Preprocessor
from traitlets import Set, Unicode

from .files import write_whole
from .links import moved_link, with_moved_links
from .release import exercise_preprocessors, nbgrader_flag

REPO = Path(__file__).resolve().parents[1]
# Each language's instructor notebooks and the folder its learner edition is written to, from the
# repository root. Both learner folders lie two levels down, like notebooks/zh/, so a figure is
# ../../figures/NAME.png from either.
LEARNER_EDITIONS = {
    "en": ("notebooks", "learner/en"),
    "zh": ("notebooks/zh", "learner/zh"),
}
LEARNER_GENERATED_BY = "python -m classroom learner (make learner, make zh); do not edit by hand"


def _is_exercise_cell(cell):
    return any(nbgrader_flag(cell, flag) for flag in ("solution", "grade"))


class ClearExerciseOutputs(Preprocessor):
    """Clear the outputs and execution counts of the exercise cells, keep the lesson's.

    The exercise cells run from the first solution or check cell to the last one: a check's
    "all visible checks passed", and anything computed from a solution, would give the answer away.
    Lesson cells before them (and an appendix after them) keep what they printed and drew.
    """

    def preprocess(self, nb, resources):
        marked = [index for index, cell in enumerate(nb.cells) if _is_exercise_cell(cell)]
        for cell in nb.cells[marked[0] : marked[-1] + 1] if marked else []:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        return nb, resources


class RewriteRelativeLinks(Preprocessor):
    """Rewrite the relative links of markdown cells so they resolve from ``target_dir``."""

    source_dir = Unicode(help="the folder the notebook comes from").tag(config=True)
    target_dir = Unicode(help="the folder it is written to").tag(config=True)
    lessons = Set(help="file names of the notebooks released beside it").tag(config=True)

    def _move(self, target):
        return moved_link(target, self.source_dir, self.target_dir, self.lessons)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = with_moved_links(cell.source, self._move)
        return cell, resources


class MarkLearnerEdition(Preprocessor):
    """Say in the notebook's metadata which instructor notebook it was generated from, and how."""

    source = Unicode(help="the instructor notebook, from the repository root").tag(config=True)

    def preprocess(self, nb, resources):
        nb.metadata["learner_edition"] = {
            "source": self.source,
            "generated_by": LEARNER_GENERATED_BY,
        }
        return nb, resources


def learner_preprocessors(source, target_dir, lessons, label=None):
    """The learner edition's pipeline for the instructor notebook ``source`` (a Path).

    The student version's checks and clearing of solutions and hidden tests, then the exercise
    cells' outputs cleared (the lesson's kept), metadata trimmed, links moved, origin recorded
    (``label``, e.g. "notebooks/01_x.ipynb"; by default the file name).
    """
    source = Path(source)
    return [
        *exercise_preprocessors(),
        ClearExerciseOutputs(),
        # Drops execution timings and saved widget state; keeps nbgrader, tags, locks, collapsed
        # or hidden cells (``jupyter``) and the kernelspec.
        ClearMetadataPreprocessor(
            preserve_cell_metadata_mask={"nbgrader", "tags", "deletable", "editable", "jupyter"},
            preserve_nb_metadata_mask={"kernelspec", "language_info"},
        ),
        RewriteRelativeLinks(
            source_dir=str(source.parent), target_dir=str(target_dir), lessons=set(lessons)
        ),
        MarkLearnerEdition(source=label or source.name),
    ]


def learner_version(nb, source, target_dir, lessons=(), label=None):
    """The learner edition of the instructor notebook ``nb``, read from the Path ``source``.

    ``target_dir`` is where it will be written (links are rewritten for it); ``lessons`` names the
    notebooks written beside it; ``label`` names the source in the metadata. ``nb`` is left
    unchanged.
    """
    learner, resources = nbformat.from_dict(nb), {}
    for preprocessor in learner_preprocessors(source, target_dir, lessons, label):
        learner, resources = preprocessor.preprocess(learner, resources)
    return learner


def notebook_text(nb):
    """The notebook as JupyterLab stores it: nbformat's JSON and a final newline."""
    return nbformat.writes(nb) + "\n"


def learner_edition(root=REPO, editions=LEARNER_EDITIONS):
    """``{path: notebook text}`` of every learner-edition notebook, built from the instructor's.

    ``editions`` maps a language to ``(instructor folder, learner folder)``, relative to ``root``.
    """
    built = {}
    for source_name, target_name in editions.values():
        source_dir, target_dir = Path(root) / source_name, Path(root) / target_name
        notebooks = sorted(source_dir.glob("*.ipynb"))
        if not notebooks:
            raise ValueError(f"{str(source_dir)!r} holds no .ipynb files")
        lessons = {path.name for path in notebooks}
        for path in notebooks:
            nb = nbformat.read(path, as_version=4)
            label = f"{source_name}/{path.name}"
            learner = learner_version(nb, path, target_dir, lessons, label)
            nbformat.validate(learner)
            built[target_dir / path.name] = notebook_text(learner)
    return built


def stale_learner_notebooks(built, root=REPO, editions=LEARNER_EDITIONS):
    """Learner-edition notebooks on disk whose instructor notebook is gone."""
    folders = [Path(root) / target for _, target in editions.values()]
    return sorted(set().union(*(folder.glob("*.ipynb") for folder in folders)) - set(built))


def learner_edition_differences(root=REPO, editions=LEARNER_EDITIONS):
    """The learner-edition files that differ from a fresh build: changed, missing or stale."""
    built = learner_edition(root, editions)
    differ = [
        path
        for path, text in built.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    return sorted(differ + stale_learner_notebooks(built, root, editions))


def write_learner_edition(root=REPO, editions=LEARNER_EDITIONS):
    """Write the learner edition; returns the paths written or deleted (nothing when up to date).

    A file is written only when its text changes, and a learner notebook whose instructor notebook
    is gone is deleted.
    """
    built = learner_edition(root, editions)
    changed = []
    for path, text in built.items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, text, newline="\n")
        changed.append(path)
    for stale in stale_learner_notebooks(built, root, editions):
        stale.unlink()
        changed.append(stale)
    return changed
