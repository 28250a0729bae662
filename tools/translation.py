"""The Chinese edition: gettext catalogues in, ``notebooks/zh/`` out.

Every English markdown cell is one entry of the catalogue ``locale/zh/lessons/NN_name.po`` (beside
the notebooks' folder, where a learner browsing the Chinese lessons does not meet it):
its msgid is the cell's markdown, its msgstr the Chinese translation, and a ``#:`` comment names
the notebook and the cell id. From the English notebooks and the catalogues this module

* **updates** the catalogues: a new paragraph becomes an untranslated entry; a changed paragraph
  keeps the old translation marked ``#, fuzzy`` with the old English as ``previous_msgid`` when a
  close match exists (difflib similarity), else it is untranslated; entries no longer used become
  obsolete (``#~``);
* **builds** ``notebooks/zh/``: each English notebook with its markdown cells translated and its
  relative links rewritten to resolve from ``notebooks/zh/``, its code cells copied exactly
  (source, outputs, execution counts, metadata), so each Chinese notebook reads as executed;
* **checks** what is missing or out of date, naming notebook and cell (tests/test_translation.py).

Run from the repository root::

    python -m tools.translation           # update, then build: what `make zh` runs
    python -m tools.translation update    # refresh the catalogues only
    python -m tools.translation build     # write notebooks/zh/ only
    python -m tools.translation check     # list the problems; exit status 1 if there are any
    python -m tools.translation import FILE.po ...  # merge translations by msgid, then update

Files are written atomically (a temporary file, then ``os.replace``), and only when they change.
"""

import argparse
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
from tools import code_catalogue

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


def occurrences_by_msgid(notebook, notebook_file):
    """Each distinct markdown text of ``notebook``, in cell order, with the cells it occurs in."""
    occurrences = {}
    for _, cell in translatable_cells(notebook):
        # As one string: polib reads `#: file:line` back as (file, line) only for a numeric line.
        occurrences.setdefault(cell.source, []).append((f"{notebook_file}:{cell.get('id')}", ""))
    return occurrences


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


def fuzzy_entry(msgid, occurrences, old):
    """A changed paragraph: the old translation to review, marked fuzzy, with the old English."""
    return polib.POEntry(
        msgid=msgid,
        msgstr=old.msgstr,
        occurrences=occurrences,
        flags=["fuzzy"],
        previous_msgid=translated_text(old),
        tcomment=old.tcomment,
    )


def closest_translated_entry(msgid, translated):
    """The translated entry with the English closest to ``msgid`` (FUZZY_SIMILARITY at least)."""
    matches = difflib.get_close_matches(msgid, list(translated), n=1, cutoff=FUZZY_SIMILARITY)
    return translated[matches[0]] if matches else None


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
    known = {entry.msgid: entry for entry in by_obsolete_first if entry.msgid}
    translated = {entry.msgid: entry for entry in known.values() if entry.msgstr}
    catalogue = polib.POFile(wrapwidth=WRAP_WIDTH)
    catalogue.header = CATALOGUE_HEADER.format(notebook=notebook_file)
    catalogue.metadata = {**old.metadata, **CATALOGUE_METADATA}
    current = occurrences_by_msgid(notebook, notebook_file)
    carried_over = set()
    for msgid, occurrences in current.items():
        if msgid in known:
            catalogue.append(kept_entry(known[msgid], occurrences))
        elif (match := closest_translated_entry(msgid, translated)) is not None:
            catalogue.append(fuzzy_entry(msgid, occurrences, match))
            carried_over.add(match.msgid)
        else:
            catalogue.append(polib.POEntry(msgid=msgid, msgstr="", occurrences=occurrences))
    for msgid, entry in translated.items():
        if msgid not in current and msgid not in carried_over:
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
    entries = {entry.msgid: entry for entry in merged if entry.msgid}
    for new in incoming:
        if not new.msgid or not new.msgstr:
            continue
        entry = entries.get(new.msgid)
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
    leads to the Chinese lesson of the same name; every other relative path gains one ``../``.
    """
    return with_moved_links(
        markdown, lambda target: moved_link(target, ENGLISH_DIR, CHINESE_DIR, english_names)
    )


def chinese_notebook(english, catalogue, notebook_file, english_names):
    """The Chinese edition of the ``english`` notebook, translated with ``catalogue``.

    A markdown cell gets its msgstr; one without a finished translation (none, or fuzzy) keeps its
    English, which check() reports. Everything else is copied exactly.
    """
    translations = {entry.msgid: entry.msgstr for entry in catalogue.translated_entries()}
    chinese = copy.deepcopy(english)
    for cell in chinese.cells:
        if cell.cell_type == "markdown":
            text = translations.get(cell.source, cell.source)
            cell.source = with_links_from_chinese_edition(text, english_names)
    chinese.metadata["translation"] = {
        "language": "zh-CN",
        "source": f"../{notebook_file}",
        "generated_by": "make zh (python -m tools.translation); do not edit by hand",
    }
    return chinese


def generated_chinese_edition(english_dir, chinese_dir):
    """``{path in chinese_dir: notebook text}`` for every English notebook, as build() writes it."""
    notebook_paths = english_notebooks(english_dir)
    english_names = {path.name for path in notebook_paths}
    generated = {}
    for notebook_path in notebook_paths:
        catalogue = read_catalogue(catalogue_path(notebook_path))
        notebook = chinese_notebook(
            read_notebook(notebook_path), catalogue, notebook_path.name, english_names
        )
        generated[chinese_dir / notebook_path.name] = notebook_text(notebook)
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
    """The markdown cells of ``english`` whose translation is missing, fuzzy or not Chinese."""
    entries = {entry.msgid: entry for entry in catalogue if entry.msgid and not entry.obsolete}
    problems = []
    for index, cell in translatable_cells(english):
        problem = entry_problem(entries.get(cell.source), cell.source, where)
        if problem is not None:
            problems.append(Problem(notebook_path.name, cell_label(index, cell), *problem))
    return problems


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
    """Where the Chinese notebook's cells are not the English ones: code differs or is missing."""
    name = notebook_path.name
    layout = [(cell.cell_type, cell.get("id")) for cell in english.cells]
    if layout != [(cell.cell_type, cell.get("id")) for cell in chinese.cells]:
        message = (
            "its cells are not the English notebook's (their number, order, types or ids differ)"
        )
        return [Problem(name, first_cell_difference(english, chinese), CODE_DIFFERS, message)]
    problems = []
    for index, (cell, translated) in enumerate(zip(english.cells, chinese.cells)):
        if cell.cell_type == "code" and cell != translated:
            parts = sorted(
                key for key in set(cell) | set(translated) if cell.get(key) != translated.get(key)
            )
            message = f"code cell differs from the English one in {', '.join(parts)}"
            problems.append(Problem(name, cell_label(index, cell), CODE_DIFFERS, message))
    return problems


def committed_notebook_problems(notebook_path, english, expected_text, committed_path):
    """The committed Chinese notebook: missing, its code cells changed, or not as generated."""
    name, where = notebook_path.name, shown(committed_path)
    if not committed_path.is_file():
        return [Problem(name, "", NOT_GENERATED, f"{where} is missing: run `make zh`")]
    committed_text = committed_path.read_text(encoding="utf-8")
    try:
        committed = nbformat.reads(committed_text, as_version=4)
    except ValueError as error:
        return [
            Problem(name, "", NOT_GENERATED, f"{where} is not a notebook ({error}): run `make zh`")
        ]
    problems = code_cell_problems(notebook_path, english, committed)
    if committed_text != expected_text:
        cell = first_cell_difference(nbformat.reads(expected_text, as_version=4), committed)
        message = f"{where} is not what `make zh` generates from the current sources: run `make zh`"
        problems.append(Problem(name, cell, NOT_GENERATED, message))
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

    Reported: an English markdown cell without a translation, with a fuzzy one or with one that
    has no Chinese (unless the cell is only maths or code); a Chinese code cell that differs from
    the English one; a Chinese notebook or catalogue that is not what `make zh` produces from the
    current sources.
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
        expected = chinese_notebook(english, catalogue, notebook_path.name, english_names)
        problems += translation_problems(notebook_path, english, catalogue, shown(path))
        problems += catalogue_problems(notebook_path, english, catalogue, path)
        problems += committed_notebook_problems(
            notebook_path, english, notebook_text(expected), chinese_dir / notebook_path.name
        )
    return problems + orphan_problems(english_dir, chinese_dir)


def code_problems():
    """The problems of the catalogue of the code's strings (tools.code_catalogue), as Problems."""
    return [Problem(where, "", CODE_STRING, what) for where, what in code_catalogue.problems()]


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def parse_arguments(argv):
    """The command line: no command (update, then build), update, build, check or import."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.translation",
        description="Build the Chinese edition notebooks/zh/ from the English notebooks and the "
        "catalogues in locale/zh/lessons/. Without a command: update, then build (`make zh`).",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("update", help="refresh the catalogues from the English notebooks")
    commands.add_parser(
        "build", help="write notebooks/zh/ from the English notebooks and the catalogues"
    )
    commands.add_parser(
        "check", help="list what is untranslated, fuzzy or out of date; exit status 1 if any"
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
    for path in changed:
        print(f"changed {shown(path)}")
    if arguments.command != "build":
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
