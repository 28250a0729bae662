"""The catalogue of the strings the series' code shows a learner (``locale/zh/LC_MESSAGES/``).

The English strings marked ``_("…")``, ``N_("…")`` or ``ngettext("…", "…", n)`` in ``helpers.py``,
``convlab/``, ``classroom/`` and ``figures/`` are the message ids (``convlab.language``).
``update()`` extracts them with Babel and merges them into the catalogue the way gettext's msgmerge
does (Babel's ``Catalog.update``): a new string is untranslated, a changed one keeps its old
translation marked fuzzy (never shown) for the translator to review, and one no longer in the code
is dropped. ``problems()`` lists what `make zh` must not ship: an untranslated or fuzzy entry, a
translation whose ``{placeholders}`` differ from the English, or a catalogue out of date with the
code."""

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

from convlab.language import DOMAIN, catalogue_path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("helpers.py", "convlab", "classroom", "figures")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
LANGUAGE = "zh"
WIDTH = 100
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
HEADER = (
    "# The strings the series' code shows a learner (helpers.py, convlab/, classroom/), in\n"
    "# Simplified Chinese. `make zh` adds and updates the msgids; translators write the msgstrs\n"
    "# (keep each {placeholder} as it is; remove the fuzzy flag once a translation is reviewed)."
)


def source_files(repo=REPO):
    """The Python files whose marked strings the learner sees, in a stable order."""
    for source in SOURCES:
        path = repo / source
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def template(repo=REPO):
    """A Babel Catalog of every marked string, each with the files it appears in."""
    catalogue = Catalog(domain=DOMAIN, fuzzy=False)
    for path in source_files(repo):
        with open(path, "rb") as source:
            for _line, message, comments, context in extract(
                "python", source, keywords=KEYWORDS, comment_tags=("Translators:",)
            ):
                where = (path.relative_to(repo).as_posix(), None)
                catalogue.add(message, locations=[where], auto_comments=comments, context=context)
    return catalogue


def read_catalogue(path):
    """The Babel Catalog at ``path``, or a new empty one for LANGUAGE when there is none."""
    if not path.exists():
        return Catalog(
            locale=LANGUAGE,
            domain=DOMAIN,
            header_comment=HEADER,
            project="Convolutions to LeNet",
            version="1",
            copyright_holder="the authors of Convolutions to LeNet",
            fuzzy=False,
        )
    with open(path, "rb") as po:
        return read_po(po, locale=LANGUAGE, domain=DOMAIN)


def catalogue_bytes(catalogue):
    """The catalogue as its .po file: no line numbers (they would change with every edit)."""
    out = io.BytesIO()
    write_po(out, catalogue, width=WIDTH, include_lineno=False, ignore_obsolete=True)
    return out.getvalue()


def refreshed(repo=REPO):
    """(path, the catalogue's .po bytes merged with the strings now in the code)."""
    path = catalogue_path(LANGUAGE, repo / "locale")
    catalogue = read_catalogue(path)
    catalogue.update(template(repo), update_creation_date=False)
    catalogue.obsolete.clear()
    return path, catalogue_bytes(catalogue)


def update(write, repo=REPO):
    """Merge the code's strings into the catalogue; ``write(path, text)`` writes it if it changed.
    Returns the changed paths."""
    path, fresh = refreshed(repo)
    if path.exists() and path.read_bytes() == fresh:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, fresh.decode("utf-8"))
    return [path]


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


def entry_problems(message):
    """Why ``message`` (a Babel Message) must not ship, as strings; empty when it is ready."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings):
        return ["untranslated"]
    if message.fuzzy:
        return ["fuzzy: the English changed, review the translation"]
    if any(placeholders(s) != placeholders(ids[0]) for s in strings):
        return [f"the translation's placeholders {placeholders(strings[0])} differ from the id's"]
    return []


def problems(repo=REPO):
    """(where, what) for each problem of the code catalogue; empty when complete and fresh."""
    path, fresh = refreshed(repo)
    where = path.relative_to(repo).as_posix()
    if not path.exists() or path.read_bytes() != fresh:
        return [(where, "not up to date with the code: run `make zh`")]
    found = []
    for message in read_catalogue(path):
        if message.id:
            first = message.id[0] if isinstance(message.id, tuple) else message.id
            found += [(where, f"{first!r}: {problem}") for problem in entry_problems(message)]
    return found
