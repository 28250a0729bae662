"""The grader's own words in the language of the edition it grades.

Grading a notebook of the Chinese edition gives a Chinese report: its messages, the text table
and what a class run prints. The edition is read from the instructor notebook (``make zh`` writes
``metadata.translation.language``; otherwise its folder, as ``convlab.language`` decides for a
kernel). The strings are marked for the series' one catalogue (``locale/zh/LC_MESSAGES/``) with
``_``/``ngettext``, but looked up in a translation of the grader's own: grading a Chinese notebook
must not switch a caller's lessons, widgets or matplotlib fonts to Chinese.

What programs read stays English whatever the edition: JSON keys, status codes ("passed", "failed",
"not run") in the JSON report, and the gradebook's column names.
"""

from pathlib import Path

from convlab.language import LANGUAGES, N_, Translator, edition_language

# The grader's own translator; ``speaking(language)`` answers in that language within a block.
_grader = Translator()
_, ngettext, speaking = _grader.gettext, _grader.ngettext, _grader.speaking


def notebook_language(nb, path):
    """The edition language of the instructor notebook ``nb`` read from ``path``: "en" or "zh"."""
    tag = nb.metadata.get("translation", {}).get("language", "")
    primary = tag.split("-")[0].lower() if isinstance(tag, str) else ""
    if primary in LANGUAGES:
        return primary
    return edition_language(environ={}, cwd=Path(path).resolve().parent)


# The status codes of the JSON report, as the text report and the gradebook's notes show them.
STATUS_WORDS = {
    "passed": N_("passed"),
    "failed": N_("failed"),
    "not run": N_("not run"),
}


def status_word(status):
    """The status code ``status`` as a word of the language being spoken."""
    return _(STATUS_WORDS.get(status, status))
