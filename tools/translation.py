"""The Chinese edition: gettext catalogues in, ``notebooks/zh/`` out, executed in Chinese.

Every English markdown cell is one entry of the catalogue ``locale/zh/lessons/NN_name.po`` (beside
the notebooks' folder, where a learner browsing the Chinese lessons does not meet it):
its msgid is the cell's markdown, its msgstr the Chinese translation, and a ``#:`` comment names
the notebook and the cell id. So is every string and comment a learner reads in a code cell
(printed text, plot labels, the exercise checks' hints, docstrings, comments), with msgctxt "code"
or "comment"; tools/code_cells.py says which and why. From the English notebooks and the
catalogues this module

* **updates** the catalogues: a new paragraph or code string becomes an untranslated entry; a
  changed one keeps the old translation marked ``#, fuzzy`` with the old English as
  ``previous_msgid`` when a close match of the same msgctxt exists (difflib similarity), else it is
  untranslated; entries no longer used become obsolete (``#~``);
* **builds** ``notebooks/zh/``: each English notebook with its markdown cells translated and its
  relative links rewritten to resolve from ``notebooks/zh/``, its code cells translated token by
  token (everything but the translated strings and comments stays as it is). A code cell keeps the
  outputs the Chinese notebook holds for it while its Chinese source is unchanged; a new or changed
  one is left not run, which makes the notebook need executing;
* **executes** the Chinese notebooks that need it (or those named) in place, as `make notebooks`
  executes the English ones, with the kernel in ``notebooks/zh/``, so that it starts in Chinese
  (convlab.language): their outputs, plots and check messages are Chinese;
* **checks** what is missing or out of date, naming notebook and cell (tests/test_translation.py):
  untranslated or fuzzy entries, a code translation that loses a ``{…}`` field or stops the cell
  parsing, a Chinese code cell that differs from its English cell beyond its translations (the
  drift check, by tokens), a notebook that is not what a fresh build gives (outputs apart), a
  notebook not executed.

Run from the repository root::

    python -m tools.translation           # update, build, execute what needs it: `make zh`
    python -m tools.translation update    # refresh the catalogues only
    python -m tools.translation build     # write notebooks/zh/ only
    python -m tools.translation execute [01 02 ...]  # run the named notebooks (none: if needed)
    python -m tools.translation check     # list the problems; exit status 1 if there are any
    python -m tools.translation import FILE.po ...  # merge translations by msgid, then update

Files are written atomically (a temporary file, then ``os.replace``), and only when they change.
"""

import argparse
import contextlib
import copy
import difflib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import nbformat
import polib

from classroom.release import moved_link, with_moved_links
from tools import code_catalogue, code_cells

REPO = Path(__file__).resolve().parents[1]
ENGLISH_DIR = REPO / "notebooks"
CHINESE_DIR = ENGLISH_DIR / "zh"
CATALOGUE_FOLDER = Path("locale", "zh", "lessons")  # beside the English notebooks' folder

# msgmerge's threshold: below it an old translation would mislead more than it helps.
FUZZY_SIMILARITY = 0.6
# gettext's usual width. polib breaks multi-line markdown at its newlines and a long single line at
# spaces, and reads both back exactly.
WRAP_WIDTH = 78
CATALOGUE_HEADER = (
    "Chinese (Simplified) translation of notebooks/{notebook}.\n"
    "msgid: one English markdown cell; msgstr: its translation. `make zh` updates this file\n"
    "and regenerates notebooks/zh/{notebook} from it."
)
CATALOGUE_METADATA = {
    "Project-Id-Version": "convolutions-to-lenet",
    "Language": "zh_CN",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}

# Kinds of problem that check() reports.
UNTRANSLATED = "untranslated"
FUZZY = "fuzzy"
NO_CHINESE = "no Chinese"
CODE_DIFFERS = "code differs"
NOT_GENERATED = "not generated"
LINE_BREAK = "line break between Chinese characters"
CODE_STRING = "code string"
CODE_TRANSLATION = "code translation"
NOT_EXECUTED = "not executed"

CHINESE_CHARACTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Code and maths are not translated: what is left once they are removed must contain Chinese.
CODE_OR_MATHS = re.compile(
    r"```.*?```|~~~.*?~~~|`[^`\n]*`"  # code
    r"|\$\$.*?\$\$|\$[^$\n]+\$|\\\[.*?\\\]|\\\(.*?\\\)"  # maths
    r"|<[^>\n]*>|\]\([^)]*\)",  # HTML tags and link targets
    re.DOTALL,
)
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# Markdown renders a line break inside a paragraph as a space, which Chinese text does not have:
# a break between two Chinese characters (or full-width punctuation), outside code, maths and
# headings, shows as a stray space in the browser.
CHINESE_OR_PUNCTUATION = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
BREAK_IN_CHINESE = re.compile(
    rf"^(?!#).*{CHINESE_OR_PUNCTUATION}\n(?={CHINESE_OR_PUNCTUATION})", re.MULTILINE
)


class Problem(NamedTuple):
    """One thing check() found wrong: where (notebook file, cell if any), what kind, and why."""

    notebook: str
    cell: str
    kind: str
    message: str

    def __str__(self):
        place = f"{self.notebook} {self.cell}" if self.cell else self.notebook
        return f"{place}: {self.message}"


# --------------------------------------------------------------------------------------------------
# Reading and writing
# --------------------------------------------------------------------------------------------------


def as_path(value, argument):
    """``value`` as a Path; TypeError naming ``argument`` if it is not a str or os.PathLike."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{argument} must be a path (str or os.PathLike), got {type(value).__name__}"
        )
    return Path(value)


def as_folder(value, argument):
    """``value`` as a Path to an existing folder; TypeError or ValueError naming ``argument``."""
    path = as_path(value, argument)
    if not path.is_dir():
        raise ValueError(f"{argument} must be an existing folder, got {str(value)!r}")
    return path


def write_atomically(path, text):
    """Write ``text`` (UTF-8) to ``path`` unless it holds it already; nothing is half-written."""
    if path.is_file() and path.read_bytes() == text.encode("utf-8"):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would make the file private to its writer
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return True


def english_notebooks(english_dir):
    """The English lessons, ``english_dir/*.ipynb`` in name order."""
    return sorted(english_dir.glob("*.ipynb"))


def read_notebook(path):
    """The notebook at ``path``, in nbformat 4."""
    return nbformat.read(path, as_version=4)


def notebook_text(notebook):
    """The notebook as JupyterLab stores it: nbformat's JSON and a final newline."""
    return nbformat.writes(notebook) + "\n"


def catalogue_folder(english_dir):
    """Where the lessons' catalogues live: ``locale/zh/lessons/`` beside ``english_dir``."""
    return english_dir.parent / CATALOGUE_FOLDER


def catalogue_path(notebook_path):
    """Where the catalogue of an English notebook lives: ``locale/zh/lessons/NN_name.po``."""
    return catalogue_folder(notebook_path.parent) / f"{notebook_path.stem}.po"


def read_catalogue(path):
    """The catalogue at ``path``, or an empty one where there is none yet."""
    if path.is_file():
        return polib.pofile(str(path), wrapwidth=WRAP_WIDTH)
    return polib.POFile(wrapwidth=WRAP_WIDTH)


def catalogue_text(catalogue):
    """The catalogue as its .po file holds it, ending with a newline."""
    return str(catalogue) + "\n"


# --------------------------------------------------------------------------------------------------
# Updating the catalogues
# --------------------------------------------------------------------------------------------------


def translatable_cells(notebook):
    """``(index, cell)`` for each markdown cell with text: the cells a translation is needed for."""
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown" and cell.source.strip()
    ]


def cell_keys(cell):
    """The catalogue keys ``(msgctxt, msgid)`` of a cell: its markdown (no msgctxt), or the
    strings and comments of its code (msgctxt "code" or "comment", tools.code_cells)."""
    if cell.cell_type == "markdown" and cell.source.strip():
        return [(None, cell.source)]
    if cell.cell_type == "code":
        return [(piece.context, piece.msgid) for piece in code_cells.pieces(cell.source)]
    return []


def occurrences_by_key(notebook, notebook_file):
    """Each distinct ``(msgctxt, msgid)`` of ``notebook``, in cell order, with its cells."""
    occurrences = {}
    for cell in notebook.cells:
        # As one string: polib reads `#: file:line` back as (file, line) only for a numeric line.
        where = (f"{notebook_file}:{cell.get('id')}", "")
        for key in cell_keys(cell):
            if where not in occurrences.setdefault(key, []):
                occurrences[key].append(where)
    return occurrences


def entry_key(entry):
    """What identifies an entry in a catalogue: its msgctxt (None for markdown) and msgid."""
    return entry.msgctxt, entry.msgid


def translated_text(entry):
    """The English text the entry's msgstr translates: its previous msgid while it is fuzzy."""
    if entry.fuzzy and entry.previous_msgid:
        return entry.previous_msgid
    return entry.msgid


def kept_entry(old, occurrences):
    """The old entry of an unchanged paragraph, at its current cells (a fuzzy entry stays fuzzy)."""
    entry = copy.deepcopy(old)
    entry.obsolete = False
    entry.occurrences = occurrences
    if not entry.fuzzy:
        entry.previous_msgid = None  # only a fuzzy entry needs the English it was translated from
    return entry


def fuzzy_entry(key, occurrences, old):
    """A changed paragraph: the old translation to review, marked fuzzy, with the old English."""
    return polib.POEntry(
        msgctxt=key[0],
        msgid=key[1],
        msgstr=old.msgstr,
        occurrences=occurrences,
        flags=["fuzzy"],
        previous_msgid=translated_text(old),
        tcomment=old.tcomment,
    )


def closest_translated_entry(key, translated):
    """The translated entry of the same msgctxt with the English closest to the msgid of ``key``
    (FUZZY_SIMILARITY at least)."""
    context, msgid = key
    candidates = {text: entry for (ctx, text), entry in translated.items() if ctx == context}
    matches = difflib.get_close_matches(msgid, list(candidates), n=1, cutoff=FUZZY_SIMILARITY)
    return candidates[matches[0]] if matches else None


def obsolete_entry(old):
    """``old`` as an obsolete (``#~``) entry: kept for reference, no longer at any cell."""
    entry = copy.deepcopy(old)
    entry.obsolete = True
    entry.occurrences = []
    return entry


def refreshed_catalogue(old, notebook, notebook_file):
    """The catalogue ``old`` brought up to date with the English ``notebook`` (``old`` stays).

    Entries follow the cells' order; obsolete entries come last. An old translation that became
    the basis of a fuzzy entry lives on there (with its English as previous msgid), and obsolete
    entries without a translation hold nothing worth keeping: neither is kept as obsolete.
    """
    # Obsolete entries first, so that an active one with the same msgid (a hand edit) wins.
    by_obsolete_first = sorted(old, key=lambda entry: not entry.obsolete)
    known = {entry_key(entry): entry for entry in by_obsolete_first if entry.msgid}
    translated = {key: entry for key, entry in known.items() if entry.msgstr}
    catalogue = polib.POFile(wrapwidth=WRAP_WIDTH)
    catalogue.header = CATALOGUE_HEADER.format(notebook=notebook_file)
    catalogue.metadata = {**old.metadata, **CATALOGUE_METADATA}
    current = occurrences_by_key(notebook, notebook_file)
    carried_over = set()
    for key, occurrences in current.items():
        if key in known:
            catalogue.append(kept_entry(known[key], occurrences))
        elif (match := closest_translated_entry(key, translated)) is not None:
            catalogue.append(fuzzy_entry(key, occurrences, match))
            carried_over.add(entry_key(match))
        else:
            catalogue.append(
                polib.POEntry(msgctxt=key[0], msgid=key[1], msgstr="", occurrences=occurrences)
            )
    for key, entry in translated.items():
        if key not in current and key not in carried_over:
            catalogue.append(obsolete_entry(entry))
    return catalogue


def update(english_dir=ENGLISH_DIR, chinese_dir=CHINESE_DIR):
    """Refresh every catalogue from its English notebook; return the catalogue paths rewritten."""
    english_dir = as_folder(english_dir, "english_dir")
    chinese_dir = as_path(chinese_dir, "chinese_dir")
    written = []
    for notebook_path in english_notebooks(english_dir):
        path = catalogue_path(notebook_path)
        catalogue = refreshed_catalogue(
            read_catalogue(path), read_notebook(notebook_path), notebook_path.name
        )
        if write_atomically(path, catalogue_text(catalogue)):
            written.append(path)
    return written


def merged_catalogue(catalogue, incoming):
    """``catalogue`` with the translations of ``incoming`` put in by msgid (``incoming`` wins)."""
    merged = copy.deepcopy(catalogue)
    entries = {entry_key(entry): entry for entry in merged if entry.msgid}
    for new in incoming:
        if not new.msgid or not new.msgstr:
            continue
        entry = entries.get(entry_key(new))
        if entry is None:
            # Kept for refreshed_catalogue(): it becomes obsolete, or the basis of a fuzzy entry.
            merged.append(copy.deepcopy(new))
            continue
        entry.msgstr, entry.flags = new.msgstr, list(new.flags)
        entry.previous_msgid, entry.tcomment = new.previous_msgid, new.tcomment or entry.tcomment
    return merged


def import_translations(paths, english_dir=ENGLISH_DIR, chinese_dir=CHINESE_DIR):
    """Merge each catalogue in ``paths`` into the catalogue of the same file name, then refresh it.

    ``paths`` are .po files named after an English notebook (``01_cross_correlation.po``);
    returns the catalogue paths rewritten.
    """
    if isinstance(paths, (str, os.PathLike)):
        raise TypeError(f"paths must be a list of .po paths, got the single path {str(paths)!r}")
    english_dir = as_folder(english_dir, "english_dir")
    chinese_dir = as_path(chinese_dir, "chinese_dir")
    written = []
    for incoming_path in (as_path(path, "each of paths") for path in paths):
        notebook_path = english_dir / f"{incoming_path.stem}.ipynb"
        if not (
            incoming_path.suffix == ".po" and incoming_path.is_file() and notebook_path.is_file()
        ):
            raise ValueError(
                "paths must be existing .po files named after an English notebook in "
                f"{english_dir}, got {str(incoming_path)!r}"
            )
        path = catalogue_path(notebook_path)
        merged = merged_catalogue(read_catalogue(path), polib.pofile(str(incoming_path)))
        catalogue = refreshed_catalogue(merged, read_notebook(notebook_path), notebook_path.name)
        if write_atomically(path, catalogue_text(catalogue)):
            written.append(path)
    return written


# --------------------------------------------------------------------------------------------------
# Building notebooks/zh/
# --------------------------------------------------------------------------------------------------


def with_links_from_chinese_edition(markdown, english_names):
    """``markdown`` with its relative links seen from ``notebooks/zh/``; code is left as it is.

    URLs, absolute paths and in-page anchors stay; a link to an English lesson stays too, and so
    leads to the Chinese lesson of the same name; a figure ``../figures/NAME.png`` that has a
    Chinese drawing (``figures/zh/NAME.png``, figures/make_figures.py) is shown as that drawing,
    ``../../figures/zh/NAME.png``; every other relative path gains one ``../``.
    """
    figures = REPO / "figures"

    def move(target):
        moved = moved_link(target, ENGLISH_DIR, CHINESE_DIR, english_names)
        linked = (CHINESE_DIR / moved).resolve()
        if linked.parent == figures and (figures / "zh" / linked.name).is_file():
            return (Path(moved).parent / "zh" / linked.name).as_posix()
        return moved

    return with_moved_links(markdown, move)


def code_translations(catalogue):
    """``{(msgctxt, msgid): msgstr}`` of the finished (translated, not fuzzy) code entries."""
    return {
        entry_key(entry): entry.msgstr
        for entry in catalogue.translated_entries()
        if entry.msgctxt in (code_cells.CODE, code_cells.COMMENT)
    }


def chinese_code(source, translations):
    """A code cell's source with its strings and comments translated; the English source while
    the translation would not parse (check() reports it)."""
    translated = code_cells.translated_source(source, translations)
    if translated != source and code_cells.parses(source) and not code_cells.parses(translated):
        return source
    return translated


def execution_of(cell):
    """What running a code cell writes into it: outputs, execution count, timing metadata."""
    return cell.outputs, cell.execution_count, cell.metadata.get("execution")


def with_execution(cell, execution):
    """``cell`` with ``execution`` (see execution_of) put in; ``None`` timing leaves none."""
    cell.outputs, cell.execution_count, timing = copy.deepcopy(execution)
    cell.metadata.pop("execution", None)
    if timing is not None:
        cell.metadata["execution"] = timing


NOT_RUN = ([], None, None)


def chinese_notebook(english, catalogue, notebook_file, english_names, previous=None):
    """The Chinese edition of the ``english`` notebook, translated with ``catalogue``.

    A markdown cell gets its msgstr; one without a finished translation (none, or fuzzy) keeps its
    English, which check() reports. A code cell gets its strings and comments translated
    (tools.code_cells) and keeps what running it wrote in ``previous`` (the Chinese notebook as it
    is) when its source there is the same; otherwise it is not run yet (no outputs, no count).
    Everything else is copied exactly.
    """
    translations = {
        entry.msgid: entry.msgstr for entry in catalogue.translated_entries() if not entry.msgctxt
    }
    code = code_translations(catalogue)
    ran = {
        cell.get("id"): (cell.source, execution_of(cell))
        for cell in (previous.cells if previous is not None else [])
        if cell.cell_type == "code"
    }
    chinese = copy.deepcopy(english)
    for cell in chinese.cells:
        if cell.cell_type == "markdown":
            text = translations.get(cell.source, cell.source)
            cell.source = with_links_from_chinese_edition(text, english_names)
        elif cell.cell_type == "code":
            cell.source = chinese_code(cell.source, code)
            source, execution = ran.get(cell.get("id"), (None, NOT_RUN))
            with_execution(cell, execution if source == cell.source else NOT_RUN)
    chinese.metadata["translation"] = {
        "language": "zh-CN",
        "source": f"../{notebook_file}",
        "generated_by": "make zh (python -m tools.translation); do not edit by hand",
    }
    return chinese


def committed_notebook(path):
    """The notebook at ``path`` if there is a readable one, else None."""
    try:
        return read_notebook(path)
    except (OSError, ValueError):
        return None


def generated_chinese_edition(english_dir, chinese_dir):
    """``{path in chinese_dir: notebook text}`` for every English notebook, as build() writes it."""
    notebook_paths = english_notebooks(english_dir)
    english_names = {path.name for path in notebook_paths}
    generated = {}
    for notebook_path in notebook_paths:
        catalogue = read_catalogue(catalogue_path(notebook_path))
        path = chinese_dir / notebook_path.name
        notebook = chinese_notebook(
            read_notebook(notebook_path),
            catalogue,
            notebook_path.name,
            english_names,
            committed_notebook(path),
        )
        generated[path] = notebook_text(notebook)
    return generated


def build(english_dir=ENGLISH_DIR, chinese_dir=CHINESE_DIR):
    """Write ``notebooks/zh/`` from the English notebooks and the catalogues.

    A Chinese notebook whose English notebook is gone is deleted. Returns the paths changed.
    """
    english_dir = as_folder(english_dir, "english_dir")
    chinese_dir = as_path(chinese_dir, "chinese_dir")
    generated = generated_chinese_edition(english_dir, chinese_dir)
    changed = [path for path, text in generated.items() if write_atomically(path, text)]
    for stale in set(chinese_dir.glob("*.ipynb")) - set(generated):
        stale.unlink()
        changed.append(stale)
    return changed


# --------------------------------------------------------------------------------------------------
# Executing notebooks/zh/
# --------------------------------------------------------------------------------------------------


def not_run_cells(notebook):
    """``(index, cell)`` for each code cell with code that has no execution count."""
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and cell.source.strip() and cell.execution_count is None
    ]


def needs_execution(path):
    """True if the notebook at ``path`` has a code cell not run (build() left it so)."""
    notebook = committed_notebook(path)
    return notebook is not None and bool(not_run_cells(notebook))


def chosen_notebooks(names, chinese_dir):
    """The Chinese notebooks named by ``names`` ("01", "01_cross_correlation.ipynb"...) or, for
    None, those with a code cell not run yet."""
    notebooks = sorted(chinese_dir.glob("*.ipynb"))
    if names is None:
        return [path for path in notebooks if needs_execution(path)]
    if isinstance(names, str):
        raise TypeError(f"names must be a list of notebook names, got the single name {names!r}")
    chosen = []
    for name in names:
        matches = [path for path in notebooks if path.name.startswith(name)]
        if len(matches) != 1:
            raise ValueError(
                f"each of names must start the name of one notebook in {shown(chinese_dir)}, "
                f"got {name!r} ({len(matches)} match)"
            )
        chosen += matches
    return chosen


def execute(names=None, chinese_dir=CHINESE_DIR):
    """Run Chinese notebooks top to bottom in place (a kernel in ``chinese_dir``, in Chinese), as
    `make notebooks` runs the English ones; widget state is not saved. ``names``: see
    chosen_notebooks. Returns the paths changed."""
    from nbconvert.preprocessors import ExecutePreprocessor

    chinese_dir = as_folder(chinese_dir, "chinese_dir")
    changed = []
    for path in chosen_notebooks(names, chinese_dir):
        print(f"executing {shown(path)}", flush=True)
        notebook = read_notebook(path)
        preprocessor = ExecutePreprocessor(timeout=1800, store_widget_state=False)
        with kernel_environment(OMP_NUM_THREADS="1", CONVLAB_LANGUAGE="zh"):
            preprocessor.preprocess(notebook, {"metadata": {"path": str(path.parent)}})
        if write_atomically(path, notebook_text(notebook)):
            changed.append(path)
    return changed


@contextlib.contextmanager
def kernel_environment(**variables):
    """The kernels started inside see ``variables`` (OMP_NUM_THREADS only where it is unset: the
    caller may know better); the environment is restored afterwards."""
    saved = dict(os.environ)
    os.environ.setdefault("OMP_NUM_THREADS", variables.pop("OMP_NUM_THREADS"))
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --------------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------------


def cell_label(index, cell):
    """How problems name a cell: its position counted from 1 and its id."""
    return f"cell {index + 1} (id {cell.get('id', '?')})"


def needs_chinese(markdown):
    """True unless the markdown is only maths, code, markup and links: then it may stay as it is."""
    return bool(ENGLISH_WORD.search(CODE_OR_MATHS.sub(" ", markdown)))


def entry_problem(entry, english, where):
    """``(kind, message)``: what is wrong with ``entry``, translating ``english``; or None."""
    if entry is None:
        return UNTRANSLATED, f"no entry in {where}: run `make zh`, then translate it"
    if entry.fuzzy:
        return FUZZY, (
            f"its translation in {where} is fuzzy (the English changed since it was translated): "
            "compare it with the previous msgid, correct the msgstr, remove the fuzzy flag"
        )
    if not entry.msgstr:
        return UNTRANSLATED, f"untranslated: fill in its msgstr in {where}"
    if needs_chinese(english) and not CHINESE_CHARACTER.search(entry.msgstr):
        return NO_CHINESE, f"its msgstr in {where} contains no Chinese"
    breaks = len(BREAK_IN_CHINESE.findall(CODE_OR_MATHS.sub(" ", entry.msgstr)))
    if breaks:
        return LINE_BREAK, (
            f"its msgstr in {where} has {breaks} line break(s) between Chinese characters, which "
            "show as spaces: join those lines"
        )
    return None


def translation_problems(notebook_path, english, catalogue, where):
    """The cells of ``english`` whose translation is missing, fuzzy or wrong: markdown without
    Chinese, a code string that loses a ``{…}`` field or a line, a code cell that stops parsing."""
    entries = {entry_key(entry): entry for entry in catalogue if entry.msgid and not entry.obsolete}
    problems = []
    for index, cell in translatable_cells(english):
        problem = entry_problem(entries.get((None, cell.source)), cell.source, where)
        if problem is not None:
            problems.append(Problem(notebook_path.name, cell_label(index, cell), *problem))
    code = code_translations(catalogue)
    for index, cell in enumerate(english.cells):
        if cell.cell_type != "code":
            continue
        for piece in code_cells.pieces(cell.source):
            problem = code_entry_problem(entries.get((piece.context, piece.msgid)), piece, where)
            if problem is not None:
                problems.append(Problem(notebook_path.name, cell_label(index, cell), *problem))
        translated = code_cells.translated_source(cell.source, code)
        if code_cells.parses(cell.source) and not code_cells.parses(translated):
            message = f"its translated code does not parse: correct its code entries in {where}"
            problems.append(
                Problem(notebook_path.name, cell_label(index, cell), CODE_TRANSLATION, message)
            )
    return problems


def code_entry_problem(entry, piece, where):
    """``(kind, message)``: what is wrong with the entry translating a code ``piece``; or None."""
    name = f"the {piece.context} {shorten(piece.msgid)!r}"
    if entry is None or not entry.msgstr:
        return (
            UNTRANSLATED,
            f"{name} is untranslated: run `make zh`, then fill its msgstr in {where}",
        )
    if entry.fuzzy:
        return FUZZY, (
            f"the translation of {name} in {where} is fuzzy: compare it with the previous msgid, "
            "correct the msgstr, remove the fuzzy flag"
        )
    problem = code_cells.piece_problem(piece, entry.msgstr)
    if problem is not None:
        return CODE_TRANSLATION, f"the translation of {name} in {where} {problem}"
    return None


def shorten(text, width=60):
    """``text`` on one line, cut to about ``width`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def first_cell_difference(expected, actual):
    """The label of the first cell where two notebooks differ ("" if only their metadata does)."""
    for index, (wanted, found) in enumerate(zip(expected.cells, actual.cells)):
        if wanted != found:
            return cell_label(index, wanted)
    if len(expected.cells) != len(actual.cells):
        index = min(len(expected.cells), len(actual.cells))
        cells = expected.cells if len(expected.cells) > index else actual.cells
        return cell_label(index, cells[index])
    return ""


def code_cell_problems(notebook_path, english, chinese):
    """Where the Chinese notebook's cells are not the English ones: its cells' layout, a code cell
    that is not the English cell up to its translated strings and comments, or other metadata."""
    name = notebook_path.name
    layout = [(cell.cell_type, cell.get("id")) for cell in english.cells]
    if layout != [(cell.cell_type, cell.get("id")) for cell in chinese.cells]:
        message = (
            "its cells are not the English notebook's (their number, order, types or ids differ)"
        )
        return [Problem(name, first_cell_difference(english, chinese), CODE_DIFFERS, message)]
    problems = []
    for index, (cell, translated) in enumerate(zip(english.cells, chinese.cells)):
        if cell.cell_type != "code":
            continue
        drift = code_cells.drift(cell.source, translated.source)
        if drift is not None:
            message = f"code cell differs from the English one beyond its translations: {drift}"
            problems.append(Problem(name, cell_label(index, cell), CODE_DIFFERS, message))
        elif without_execution(cell.metadata) != without_execution(translated.metadata):
            message = "code cell's metadata differs from the English one's"
            problems.append(Problem(name, cell_label(index, cell), CODE_DIFFERS, message))
    return problems


def without_execution(metadata):
    """A code cell's metadata less the timing that running it records."""
    return {key: value for key, value in metadata.items() if key != "execution"}


def committed_notebook_problems(notebook_path, english, expected_text, committed_path):
    """The committed Chinese notebook: missing, its code cells changed, not as generated (outputs
    apart: build() keeps them), or with code cells not run."""
    name, where = notebook_path.name, shown(committed_path)
    committed = committed_notebook(committed_path)
    if committed is None:
        message = f"{where} is missing or not a notebook: run `make zh`"
        return [Problem(name, "", NOT_GENERATED, message)]
    problems = code_cell_problems(notebook_path, english, committed)
    if committed_path.read_text(encoding="utf-8") != expected_text:
        cell = first_cell_difference(nbformat.reads(expected_text, as_version=4), committed)
        message = f"{where} is not what `make zh` generates from the current sources: run `make zh`"
        problems.append(Problem(name, cell, NOT_GENERATED, message))
    if not_run := not_run_cells(committed):
        index, cell = not_run[0]
        message = (
            f"{where} has {len(not_run)} code cell(s) not run since they changed: run "
            f"`python -m tools.translation execute {notebook_path.name[:2]}` (or `make zh`)"
        )
        problems.append(Problem(name, cell_label(index, cell), NOT_EXECUTED, message))
    return problems


def catalogue_problems(notebook_path, english, catalogue, path):
    """A problem if the committed catalogue is not what `make zh` leaves after updating it."""
    expected = catalogue_text(refreshed_catalogue(catalogue, english, notebook_path.name))
    if path.is_file() and path.read_text(encoding="utf-8") == expected:
        return []
    message = f"{shown(path)} is not up to date with the English notebook: run `make zh`"
    return [Problem(notebook_path.name, "", NOT_GENERATED, message)]


def orphan_problems(english_dir, chinese_dir):
    """Chinese notebooks and catalogues left behind by an English notebook gone or renamed."""
    stems = {path.stem for path in english_notebooks(english_dir)}
    orphans = [
        *(path for path in chinese_dir.glob("*.ipynb") if path.stem not in stems),
        *(path for path in catalogue_folder(english_dir).glob("*.po") if path.stem not in stems),
    ]
    message = "has no English notebook {}: rename it after the notebook's new name, or delete it"
    return [
        Problem(
            path.name,
            "",
            NOT_GENERATED,
            message.format(f"{path.stem}.ipynb in {shown(english_dir)}"),
        )
        for path in sorted(orphans)
    ]


def shown(path):
    """``path`` relative to the repository when inside it: shorter in messages."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def check(english_dir=ENGLISH_DIR, chinese_dir=CHINESE_DIR):
    """Every problem of the Chinese edition, as a list of Problem (empty when all is well).

    Reported: an English markdown cell, code string or comment without a translation or with a
    fuzzy one; a markdown translation that has no Chinese (unless the cell is only maths or code);
    a code translation that loses a ``{…}`` field or a line, or that makes the cell stop parsing;
    a Chinese code cell that is not the English one up to its translations; a Chinese notebook or
    catalogue that is not what `make zh` produces from the current sources (the outputs of code
    cells apart); a Chinese notebook with code cells not run.
    """
    english_dir = as_folder(english_dir, "english_dir")
    chinese_dir = as_path(chinese_dir, "chinese_dir")
    notebook_paths = english_notebooks(english_dir)
    english_names = {path.name for path in notebook_paths}
    problems = []
    for notebook_path in notebook_paths:
        english = read_notebook(notebook_path)
        path = catalogue_path(notebook_path)
        catalogue = read_catalogue(path)
        committed_path = chinese_dir / notebook_path.name
        expected = chinese_notebook(
            english,
            catalogue,
            notebook_path.name,
            english_names,
            committed_notebook(committed_path),
        )
        problems += translation_problems(notebook_path, english, catalogue, shown(path))
        problems += catalogue_problems(notebook_path, english, catalogue, path)
        problems += committed_notebook_problems(
            notebook_path, english, notebook_text(expected), committed_path
        )
    return problems + orphan_problems(english_dir, chinese_dir)


def code_problems():
    """The problems of the catalogue of the code's strings (tools.code_catalogue), as Problems."""
    return [Problem(where, "", CODE_STRING, what) for where, what in code_catalogue.problems()]


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def parse_arguments(argv):
    """The command line: no command (update, build, execute), update, build, execute, check or
    import."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.translation",
        description="Build the Chinese edition notebooks/zh/ from the English notebooks and the "
        "catalogues in locale/zh/lessons/. Without a command: update, build, then execute the "
        "notebooks with code cells not run (`make zh`).",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("update", help="refresh the catalogues from the English notebooks")
    commands.add_parser(
        "build", help="write notebooks/zh/ from the English notebooks and the catalogues"
    )
    commands.add_parser(
        "check", help="list what is untranslated, fuzzy or out of date; exit status 1 if any"
    )
    executing = commands.add_parser(
        "execute", help="run Chinese notebooks in place (a kernel in notebooks/zh/, in Chinese)"
    )
    executing.add_argument(
        "notebooks",
        nargs="*",
        help="notebook names or their start (01 02...); none: those with code cells not run",
    )
    importing = commands.add_parser(
        "import",
        help="merge translations by msgid into the catalogue named like each file, then refresh it",
    )
    importing.add_argument(
        "catalogues", nargs="+", help="NN_name.po files named after English notebooks"
    )
    return parser.parse_args(argv)


def summary(catalogue_file):
    """One line on a catalogue: how many entries, how many still to translate or review."""
    catalogue = read_catalogue(catalogue_file)
    active = [entry for entry in catalogue if not entry.obsolete]
    return (
        f"{shown(catalogue_file)}: {len(active)} entries, "
        f"{len(catalogue.untranslated_entries())} untranslated, "
        f"{len(catalogue.fuzzy_entries())} fuzzy, {len(catalogue.obsolete_entries())} obsolete"
    )


def run(arguments):
    """Carry out the parsed command line; return the exit status."""
    if arguments.command == "check":
        problems = check() + code_problems()
        print("\n".join(map(str, problems)) or "The Chinese edition is complete and up to date.")
        return 1 if problems else 0
    changed = []
    if arguments.command == "import":
        changed += import_translations(arguments.catalogues)
    if arguments.command in (None, "update"):
        changed += update() + code_catalogue.update(write_atomically)
    if arguments.command in (None, "build"):
        changed += build()
    if arguments.command is None:
        changed += execute()
    if arguments.command == "execute":
        changed += execute(arguments.notebooks or None)
    for path in changed:
        print(f"changed {shown(path)}")
    if arguments.command not in ("build", "execute"):
        for path in sorted(catalogue_folder(ENGLISH_DIR).glob("*.po")):
            print(summary(path))
        print(summary(code_catalogue.catalogue_path("zh", REPO / "locale")))
    return 0


def main(argv=None):
    """Run the command line; exit status 2 for bad arguments or unreadable files."""
    arguments = parse_arguments(argv)
    try:
        return run(arguments)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
