"""The lesson figures: every PNG in figures/ is what figures/make_figures.py draws today, has alt
text that states the numbers drawn, and is readable when a notebook shows it at 1280×800.

Pictures are compared decoded (pixels), not byte for byte; after a change to a drawing,
`make figures` redraws them all.
"""

import importlib.util
import io
import itertools
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

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


@pytest.fixture(scope="module", params=sorted(make_figures.DRAWINGS))
def drawn(request):
    """(name, PNG bytes as make_figures would write them, the numbers the drawing states,
    the visible texts with their font size and extent in pixels)."""
    name = request.param
    fig, facts = make_figures.DRAWINGS[name]()
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
    return name, buffer.getvalue(), facts, texts


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_committed_figure_is_what_the_script_draws(drawn):
    name, png, _, _ = drawn
    fresh, committed = pixels(png), pixels((FIGURES / name).read_bytes())
    assert fresh.shape == committed.shape, f"{name}: size changed, run `make figures`"
    differing = (np.abs(fresh - committed).max(axis=2) > 24).mean()
    assert differing < 0.001, f"{name}: {differing:.2%} of its pixels changed, run `make figures`"


def test_alt_text_states_the_numbers_drawn(drawn):
    name, _, facts, _ = drawn
    for fact in facts:
        assert fact in make_figures.ALT_TEXT[name], f"{name}: alt text lacks {fact!r}"


def test_text_is_readable_when_shown(drawn):
    name, png, _, texts = drawn
    width_px = Image.open(io.BytesIO(png)).width
    # pt on screen = pt in the figure × (DPI / 96 CSS px per inch) × how much the page shrinks it
    factor = make_figures.DPI / 96 * min(1.0, SHOWN_WIDTH_PX / width_px)
    small = [
        (text, round(size * factor, 1)) for text, size, _ in texts if size * factor < SMALLEST_PT
    ]
    assert not small, f"{name}: text below {SMALLEST_PT} pt at {SHOWN_WIDTH_PX} px wide: {small}"


def test_texts_do_not_overlap(drawn):
    name, _, _, texts = drawn
    overlapping = [
        (a, b)
        for (a, _, box_a), (b, _, box_b) in itertools.combinations(texts, 2)
        if box_a.padded(-2).overlaps(box_b.padded(-2))  # 2 px apart is fine
    ]
    assert not overlapping, f"{name}: overlapping texts {overlapping}"
