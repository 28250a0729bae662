"""What of a lesson's code cell the Chinese edition translates, and how it is put back.

A learner reads a code cell's comments, docstrings and the text it prints, plots or asserts, not its
identifiers. Python's own tokenizer tells them apart without guessing at the language:

* a **string** (msgctxt "code") is a STRING token, an f-string whole, or a run of adjacent literals
  that Python joins into one (implicit concatenation: the translator sees the whole sentence, one
  line per literal, and may move words between the lines). It is translated when its text, outside
  an f-string's ``{…}`` fields, holds two or more words, a word being a run of non-blank characters
  with a letter. One word (``"sobel_x"``, ``"torch.nn.functional.unfold"``, ``"mean"``) is almost
  always a key, an option, a dotted name or a path that code depends on, except as the value of a
  keyword argument that names text a plot shows (``xlabel="epoch"``, ``label="weight"``: see
  ``SHOWN_TEXT``); a bytes literal never is text. The msgid is the text between the quotes as
  written (escapes included), so the translation is put back between the same quotes with the same
  prefix.
* a **comment** (msgctxt "comment") is a COMMENT token with a letter in it, except nbgrader's
  markers (``### BEGIN SOLUTION``…) that the grader looks for and pragmas meant for tools
  (``# noqa``, ``# NBVAL_…``, ``# fmt:``, ``# type:``). Its msgid is the text after the ``#`` signs
  and one space.

Where a selected string must not change after all (a label that is compared with data, an English
name), the translator copies the msgid into the msgstr. A translation must keep the same ``{…}``
fields (f-string expressions, ``str.format`` placeholders) and the same number of lines as its
msgid; the cell must still parse (``problems_of_translation``). The Chinese cell then differs from
the English one only in those tokens, which ``drift`` proves.
"""

import ast
import io
import re
import tokenize
from typing import NamedTuple

CODE = "code"
COMMENT = "comment"

STRING_START = re.compile(r"(?P<prefix>[A-Za-z]*)(?P<quote>'''|\"\"\"|'|\")")
# Python 3.12 splits an f-string into tokens; older versions give one STRING token.
FSTRING_START = getattr(tokenize, "FSTRING_START", None)
FSTRING_END = getattr(tokenize, "FSTRING_END", None)
WORD = re.compile(r"\S*[^\W\d_]\S*")
NBGRADER_MARKER = re.compile(r"^#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b")
PRAGMA = re.compile(r"#\s*(noqa\b|NBVAL_|nbval-|fmt:|type:|pragma\b|isort:|pylint:)")
COMMENT_MARK = re.compile(r"#+ ?")
# Keyword arguments whose string a learner reads on a plot: text even when it is one word.
SHOWN_TEXT = {"title", "suptitle", "xlabel", "ylabel", "label"}


class Literal(NamedTuple):
    """One string literal of a cell: where it lies (character offsets) and how it is written."""

    start: int
    end: int
    prefix: str
    quote: str

    def text(self, source):
        """The literal's text between its quotes, as written."""
        return source[self.start + len(self.prefix) + len(self.quote) : self.end - len(self.quote)]

    def written(self, text):
        """``text`` as this literal: its prefix and quotes around it."""
        return f"{self.prefix}{self.quote}{text}{self.quote}"

    @property
    def formatted(self):
        return "f" in self.prefix.lower()


class Piece(NamedTuple):
    """A translatable part of a cell: a comment, or a string made of one or more literals."""

    context: str  # CODE or COMMENT
    msgid: str
    literals: tuple  # of Literal; for a comment, one Literal whose prefix is its "#" marks


class Unit(NamedTuple):
    """A token as the drift check compares them: a whole f-string is one STRING unit."""

    type: int
    text: str
    start: int


def line_offsets(source):
    """The character offset at which each line of ``source`` starts (line 1 at index 1)."""
    offsets = [0, 0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def units(source):
    """The cell's tokens, an f-string as one STRING unit; None if Python cannot tokenize it."""
    offsets = line_offsets(source)
    found, depth, fstring_start = [], 0, 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            start = offsets[token.start[0]] + token.start[1]
            end = offsets[token.end[0]] + token.end[1]
            if token.type == FSTRING_START:
                fstring_start = start if depth == 0 else fstring_start
                depth += 1
            elif depth and token.type == FSTRING_END:
                depth -= 1
                if depth == 0:
                    found.append(Unit(tokenize.STRING, source[fstring_start:end], fstring_start))
            elif depth == 0:
                found.append(Unit(token.type, token.string, start))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return found


def literal(unit):
    """The Literal of a STRING unit."""
    match = STRING_START.match(unit.text)
    return Literal(unit.start, unit.start + len(unit.text), match["prefix"], match["quote"])


def fields(text):
    """The ``{…}`` fields of a string's text (``{{`` and ``}}`` are literal braces), in order."""
    found, depth, start, index = [], 0, 0, 0
    while index < len(text):
        pair = text[index : index + 2]
        if depth == 0 and pair in ("{{", "}}"):
            index += 2
            continue
        if text[index] == "{":
            depth, start = depth + 1, (index if depth == 0 else start)
        elif text[index] == "}" and depth:
            depth -= 1
            if depth == 0:
                found.append(text[start : index + 1])
        index += 1
    return found


def words_outside_fields(text, formatted):
    """The words of a string's text; an f-string's ``{…}`` expressions are code, not words."""
    if formatted:
        for field in fields(text):
            text = text.replace(field, " ", 1)
    return WORD.findall(text)


def names_shown_text(cell_units, group):
    """Whether the string ``group`` is the value of a SHOWN_TEXT keyword (``xlabel="epoch"``)."""
    before = [
        unit
        for unit in cell_units[: cell_units.index(group[0])]
        if unit.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ][-2:]
    return (
        len(before) == 2
        and before[0].type == tokenize.NAME
        and before[0].text in SHOWN_TEXT
        and before[1].text == "="
    )


def string_piece(source, group, shown=False):
    """The Piece of adjacent literals ``group``, or None when it is not text to translate;
    ``shown``: a plot shows it, so one word is enough."""
    literals = tuple(literal(unit) for unit in group)
    if any("b" in item.prefix.lower() for item in literals):
        return None
    texts = [item.text(source) for item in literals]
    if len(literals) > 1 and any("\n" in text for text in texts):
        return None  # lines could not tell the literals apart
    words = sum(
        (words_outside_fields(text, item.formatted) for text, item in zip(texts, literals)), []
    )
    if len(words) < (1 if shown else 2):
        return None
    return Piece(CODE, "\n".join(texts), literals)


def comment_piece(unit):
    """The Piece of a COMMENT unit, or None for a marker, a pragma or a comment without letters."""
    if NBGRADER_MARKER.match(unit.text) or PRAGMA.search(unit.text):
        return None
    mark = COMMENT_MARK.match(unit.text)[0]
    text = unit.text[len(mark) :]
    if not re.search(r"[^\W\d_]", text):
        return None
    return Piece(COMMENT, text, (Literal(unit.start, unit.start + len(unit.text), mark, ""),))


def string_groups(cell_units):
    """Runs of STRING units that Python joins into one string: only line breaks between them."""
    groups, current = [], []
    for unit in cell_units:
        if unit.type == tokenize.STRING:
            current.append(unit)
        elif unit.type != tokenize.NL or not current:
            if current:
                groups.append(current)
            current = []
    return groups + ([current] if current else [])


def pieces(source):
    """The translatable Pieces of a cell's ``source``, in order (none if it does not tokenize)."""
    cell_units = units(source)
    if cell_units is None:
        return []
    found = [
        string_piece(source, group, names_shown_text(cell_units, group))
        for group in string_groups(cell_units)
    ]
    found += [comment_piece(unit) for unit in cell_units if unit.type == tokenize.COMMENT]
    return sorted((piece for piece in found if piece), key=lambda piece: piece.literals[0].start)


def texts_by_literal(piece, text):
    """``text`` (a msgid or msgstr of ``piece``) cut into one text per literal: a single literal
    (a docstring, say) may span lines, joined literals take one line each."""
    return text.split("\n") if len(piece.literals) > 1 else [text]


def piece_problem(piece, msgstr):
    """Why ``msgstr`` cannot replace ``piece`` (its lines or ``{…}`` fields differ), or None."""
    wanted, given = texts_by_literal(piece, piece.msgid), texts_by_literal(piece, msgstr)
    if len(wanted) != len(given):
        return f"has {len(given)} line(s), the English {len(wanted)}: one line per literal"
    for formatted in (True, False):
        english = [
            field
            for text, item in zip(wanted, piece.literals)
            if item.formatted == formatted
            for field in fields(text)
        ]
        chinese = [
            field
            for text, item in zip(given, piece.literals)
            if item.formatted == formatted
            for field in fields(text)
        ]
        if sorted(english) != sorted(chinese):
            return (
                f"keeps the {{…}} fields {sorted(chinese)}, the English has {sorted(english)}: "
                "copy each field exactly"
            )
    return None


def replaced(source, piece, msgstr):
    """``source`` with ``piece`` written as ``msgstr`` (one line per literal)."""
    for item, text in reversed(list(zip(piece.literals, texts_by_literal(piece, msgstr)))):
        source = source[: item.start] + item.written(text) + source[item.end :]
    return source


def translated_source(source, translations):
    """``source`` with every Piece that ``translations`` translates (``{(context, msgid): msgstr}``)
    replaced; a translation that would change the fields or the line count is left out."""
    for piece in reversed(pieces(source)):
        msgstr = translations.get((piece.context, piece.msgid))
        if msgstr is not None and piece_problem(piece, msgstr) is None:
            source = replaced(source, piece, msgstr)
    return source


def parses(source):
    """True if ``source`` is valid IPython (a cell's ``%magic`` lines are turned into Python)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return False
    return True


def drift(english, chinese):
    """Why the Chinese cell is not the English cell up to its translated Pieces; None if it is.

    Both are tokenized: the same tokens in the same order, except that a string or comment the
    English cell offers for translation may read differently (same quotes and prefix).
    """
    english_units, chinese_units = units(english), units(chinese)
    if english_units is None or chinese_units is None:
        return None if english == chinese else "the cell does not tokenize and differs"
    if len(english_units) != len(chinese_units):
        return f"{len(chinese_units)} tokens, the English cell {len(english_units)}"
    translatable = {item.start for piece in pieces(english) for item in piece.literals}
    for wanted, found in zip(english_units, chinese_units):
        if (wanted.type, wanted.text) == (found.type, found.text):
            continue
        if wanted.type != found.type or wanted.start not in translatable:
            return f"{found.text!r} where the English cell has {wanted.text!r}"
        if wanted.type == tokenize.STRING and literal(wanted)[2:] != literal(found)[2:]:
            return f"{found.text!r} is not written with the quotes of {wanted.text!r}"
    return None
