"""The lesson figures: every PNG in figures/ (English) and figures/zh/ (Chinese) is what
figures/make_figures.py draws today, has alt text that states the numbers drawn, is readable when a
notebook shows it at 1280×800, and draws every character in a real font (no empty boxes); each
edition of the lessons shows the figures in its own language.

Pictures are compared decoded (pixels), not byte for byte; after a change to a drawing,
`make figures` redraws them all.
"""

import importlib.util
import io
import itertools
import json
import re
import warnings
from pathlib import Path
from typing import NamedTuple

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from convlab.fonts import installed_cjk_font
from convlab.language import LANGUAGES, language

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"
# A lesson's output area at 1280×800 is about 700–900 CSS pixels wide: a wider picture is scaled
# down to it, and its text must still be at least 9 pt there.
SHOWN_WIDTH_PX, SMALLEST_PT = 800, 9.0

spec = importlib.util.spec_from_file_location("make_figures", FIGURES / "make_figures.py")
make_figures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_figures)


def test_every_figure_has_alt_text_and_a_drawing():
    committed = {path.name for path in FIGURES.glob("*.png")}
    assert set(make_figures.DRAWINGS) == committed, (
        "figures/*.png and make_figures.DRAWINGS differ: run `make figures`, delete stale PNGs"
    )
    translated = {path.name for path in (FIGURES / "zh").glob("*.png")}
    assert translated <= committed, f"figures/zh/ has drawings figures/ lacks: {translated}"
    assert set(make_figures.ALT_TEXT) == committed, "every figure needs an entry in ALT_TEXT"
    for name, text in make_figures.ALT_TEXT.items():
        sentences = [s for s in re.split(r"(?<=[.:])\s+(?=[A-Z])", text.strip()) if s]
        assert text.strip().endswith(".") and 1 <= len(sentences) <= 2, (name, text)


def test_every_figure_a_lesson_links_exists():
    linked = set()
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            for alt, name in re.findall(r"!\[([^\]]*)\]\(\.\./figures/([^)\s]+)\)", source):
                assert alt.strip(), f"{path.name} shows figures/{name} without alt text"
                linked.add(name)
    assert linked <= set(make_figures.DRAWINGS), (
        f"missing figures: {linked - set(make_figures.DRAWINGS)}"
    )


class Drawn(NamedTuple):
    """A figure as make_figures draws it in one language."""

    name: str
    language: str
    png: bytes  # as make_figures writes it
    facts: list  # the numbers the drawing states
    texts: list  # the visible texts: (text, font size, extent in pixels)
    missing_glyphs: list  # matplotlib's warnings about characters no font has


@pytest.fixture(
    scope="module",
    params=list(itertools.product(LANGUAGES, sorted(make_figures.DRAWINGS))),
    ids="-".join,
)
def drawn(request):
    """Each figure in each language, drawn once for every test of this module."""
    chosen, name = request.param
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, facts = make_figures.draw(name, chosen)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = [
            (t.get_text(), t.get_fontsize(), t.get_window_extent(renderer))
            for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and t.figure is fig
        ]
        buffer = io.BytesIO()
        fig.savefig(buffer, dpi=make_figures.DPI, bbox_inches="tight", facecolor="white")
        plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    return Drawn(name, chosen, buffer.getvalue(), facts, texts, missing)


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def has_chinese(texts):
    return any(make_figures.CHINESE.search(text) for text, _, _ in texts)


def test_a_figure_with_words_has_a_chinese_drawing_and_one_without_has_none(drawn):
    """A figure is drawn in Chinese into figures/zh/ when it has words (all ten today do: titles,
    labels, captions); a figure of numbers and symbols only would be the same in both editions."""
    if drawn.language == "en":
        assert not has_chinese(drawn.texts), f"{drawn.name}: Chinese in the English drawing"
        return
    path = make_figures.figure_path(drawn.name, drawn.language)
    assert path.exists() == has_chinese(drawn.texts), (
        f"{drawn.name}: figures/zh/ should hold exactly the drawings with Chinese words: "
        "run `make figures`"
    )


def test_committed_figure_is_what_the_script_draws(drawn):
    path = make_figures.figure_path(drawn.name, drawn.language)
    if not path.exists():  # no words to translate (the test above)
        return
    fresh, committed = pixels(drawn.png), pixels(path.read_bytes())
    where = path.relative_to(ROOT)
    assert fresh.shape == committed.shape, f"{where}: size changed, run `make figures`"
    differing = (np.abs(fresh - committed).max(axis=2) > 24).mean()
    assert differing < 0.001, (
        f"{where}: {differing:.2%} of its pixels changed, run `make figures` (the Chinese drawings "
        f"were drawn with WenQuanYi Micro Hei, as on CI; this machine's is {installed_cjk_font()})"
    )


def test_every_character_is_drawn_with_a_font_that_has_it(drawn):
    """No empty boxes: a character missing from every font of font.family is an error (Chinese
    comes from the CJK font that set_language("zh") chooses, the rest from DejaVu Sans)."""
    assert not drawn.missing_glyphs, f"{drawn.name} ({drawn.language}): {drawn.missing_glyphs}"


def test_drawing_in_chinese_leaves_english_and_its_fonts_as_they_were():
    family = list(matplotlib.rcParams["font.family"])
    fig, _ = make_figures.draw("pooling_3x3.png", "zh")
    plt.close(fig)
    assert language() == "en"
    assert matplotlib.rcParams["font.family"] == family


def test_alt_text_states_the_numbers_drawn(drawn):
    """The numbers a drawing states, in either language, are those its English alt text gives."""
    for fact in drawn.facts:
        assert fact in make_figures.ALT_TEXT[drawn.name], f"{drawn.name}: alt text lacks {fact!r}"


def test_text_is_readable_when_shown(drawn):
    name, png, texts = f"{drawn.language}/{drawn.name}", drawn.png, drawn.texts
    width_px = Image.open(io.BytesIO(png)).width
    # pt on screen = pt in the figure × (DPI / 96 CSS px per inch) × how much the page shrinks it
    factor = make_figures.DPI / 96 * min(1.0, SHOWN_WIDTH_PX / width_px)
    small = [
        (text, round(size * factor, 1)) for text, size, _ in texts if size * factor < SMALLEST_PT
    ]
    assert not small, f"{name}: text below {SMALLEST_PT} pt at {SHOWN_WIDTH_PX} px wide: {small}"


def test_texts_do_not_overlap(drawn):
    name, texts = f"{drawn.language}/{drawn.name}", drawn.texts
    overlapping = [
        (a, b)
        for (a, _, box_a), (b, _, box_b) in itertools.combinations(texts, 2)
        if box_a.padded(-2).overlaps(box_b.padded(-2))  # 2 px apart is fine
    ]
    assert not overlapping, f"{name}: overlapping texts {overlapping}"


def figure_links(notebook_path):
    """The figures the markdown cells of a notebook show: link target → the file it reaches."""
    cells = json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    targets = re.findall(r"\]\(([^)\s]*figures/[^)\s]+\.png)", markdown)
    return {target: (notebook_path.parent / target).resolve() for target in targets}


@pytest.mark.parametrize("edition", ["notebooks/zh", "learner/zh"])
def test_the_chinese_edition_shows_the_chinese_figures(edition):
    """Every figure a Chinese lesson shows exists, and is the Chinese drawing where there is one."""
    notebooks = sorted((ROOT / edition).glob("*.ipynb"))
    shown = {
        (path.name, target): file
        for path in notebooks
        for target, file in figure_links(path).items()
    }
    assert len(shown) >= len(make_figures.DRAWINGS), f"{edition} shows too few figures: {shown}"
    for where, figure in shown.items():
        chinese = FIGURES / "zh" / figure.name
        assert figure == (chinese if chinese.exists() else FIGURES / figure.name), where
