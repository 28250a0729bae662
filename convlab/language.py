"""The series' one language switch: ``helpers.set_language("zh")`` / ``helpers.set_language("en")``.

Every string the series shows a learner (widget labels, plot text, printed lines, check messages,
errors) is written in English in the code and looked up when it is shown::

    from convlab.language import _, N_

    raise ValueError(_("{name} must be positive, got {value}").format(name=name, value=value))
    TEXTS = {"play": N_("Play")}   # marked where it is defined, translated where it is shown
    button.description = _(TEXTS["play"])

The English strings are the message ids; their translations live in the gettext catalogue
``locale/<language>/LC_MESSAGES/convlab.po`` (``make zh`` extracts the ids with Babel and marks a
changed one fuzzy; ``python -m tools.translation check`` lists what is left). The lookup is the
standard library's ``gettext``; Babel compiles the catalogue when a language is chosen, so no
compiled ``.mo`` file has to be kept in step with its ``.po``. Fuzzy entries are never used.

A kernel started for a notebook of the Chinese edition starts in Chinese (``edition_language``);
everything else starts in English.
"""

import gettext
import io
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "convlab"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
# Set by the classroom grader (and by anyone who wants one language whatever the folder).
LANGUAGE_ENV_VAR = "CONVLAB_LANGUAGE"
# The folder each edition's notebooks live in: notebooks/zh/, learner/zh/, my-lessons/zh/.
EDITION_FOLDERS = {"zh": "zh"}


def catalogue_path(language, locale_dir=LOCALE_DIR):
    """The catalogue of ``language``: ``locale/<language>/LC_MESSAGES/convlab.po``."""
    return Path(locale_dir) / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translation(language, locale_dir=LOCALE_DIR):
    """A ``gettext.GNUTranslations`` of ``language`` read from its ``.po`` catalogue."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(catalogue_path(language, locale_dir), "rb") as po:
        catalogue = read_po(po)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def check_language(language):
    """Raise unless ``language`` is one of LANGUAGES."""
    if not isinstance(language, str):
        raise TypeError(
            _("language must be a str, one of {languages}, got {type}").format(
                languages=LANGUAGES, type=type(language).__name__
            )
        )
    if language not in LANGUAGES:
        raise ValueError(
            _("language must be one of {languages}, got {value!r}").format(
                languages=LANGUAGES, value=language
            )
        )


class Translator:
    """Speaks one language at a time: ``gettext`` / ``ngettext`` look English message ids up in
    it. The series has one (``_`` below); the grader keeps its own, so that grading a Chinese
    notebook does not switch a caller's lessons to Chinese (``classroom.words``)."""

    def __init__(self):
        self.language, self.translation = "en", gettext.NullTranslations()

    def use(self, language):
        """Speak ``language`` ("en" or "zh") from now on."""
        check_language(language)
        english = language == "en"
        self.translation = gettext.NullTranslations() if english else load_translation(language)
        self.language = language

    @contextmanager
    def speaking(self, language):
        """Speak ``language`` within the block, then the language spoken before."""
        before = self.language, self.translation
        self.use(language)
        try:
            yield
        finally:
            self.language, self.translation = before

    def gettext(self, message):
        return self.translation.gettext(message)

    def ngettext(self, singular, plural, count):
        return self.translation.ngettext(singular, plural, count)


_series = Translator()


def set_language(language):
    """Show everything from now on in ``language`` ("en" or "zh"): widgets made after the call,
    plots, printed lines, check messages and errors. Chinese also makes matplotlib draw with the
    CJK font the set-up installs; without one the words still switch, and a warning says how to
    install a font (plots would show boxes for Chinese characters)."""
    _series.use(language)
    if language == "zh":
        from convlab.fonts import MissingCJKFontError, use_cjk_font

        try:
            use_cjk_font()
        except MissingCJKFontError as error:  # a kernel of the Chinese edition must still start
            warnings.warn(str(error), stacklevel=2)


@contextmanager
def speaking(language):
    """The series' words, and the edition a kernel would start in (``$CONVLAB_LANGUAGE``), in
    ``language`` within the block; fonts stay as they are. For code run outside a kernel: the
    grader's judge runs the instructor's checks in the edition's language."""
    before = os.environ.get(LANGUAGE_ENV_VAR)
    os.environ[LANGUAGE_ENV_VAR] = language
    try:
        with _series.speaking(language):
            yield
    finally:
        if before is None:
            del os.environ[LANGUAGE_ENV_VAR]
        else:
            os.environ[LANGUAGE_ENV_VAR] = before


def language():
    """The language the series shows now: "en" or "zh"."""
    return _series.language


def _(message):
    """``message`` (English, the message id) in the current language."""
    return _series.gettext(message)


def ngettext(singular, plural, count):
    """``singular`` or ``plural`` (English ids) for ``count``, in the current language."""
    return _series.ngettext(singular, plural, count)


def N_(message):
    """Mark ``message`` for the catalogue where it is defined; ``_`` translates it where shown."""
    return message


def edition_language(environ=None, cwd=None):
    """The language a kernel starts in: ``$CONVLAB_LANGUAGE`` if set, else "zh" when the notebook
    (``$JPY_SESSION_NAME``, which JupyterLab sets to the notebook's path) or the working folder
    (nbconvert and nbval start a kernel in the notebook's folder) lies in an edition's ``zh/``
    folder, else "en"."""
    environ = os.environ if environ is None else environ
    if chosen := environ.get(LANGUAGE_ENV_VAR):
        check_language(chosen)
        return chosen
    notebook = environ.get("JPY_SESSION_NAME")
    place = Path(notebook).parent if notebook else Path(os.getcwd() if cwd is None else cwd)
    for language, folder in EDITION_FOLDERS.items():
        if place.name == folder:
            return language
    return "en"
