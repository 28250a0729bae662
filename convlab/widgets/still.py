"""Still pictures of the widgets, for readers without a kernel.

A widget cell's output holds the ipywidgets view (JupyterLab draws the live widget from it) and a
PNG of the widget as it was displayed, with the numbers and labels a reader needs written above
the widget's own picture. GitHub, nbviewer and ``jupyter nbconvert --to html`` show that PNG where
the live widget cannot run, and so does JupyterLab for a notebook it does not trust (one opened
from disk, not run and saved by this user), where it shows only safe outputs. A notebook that
JupyterLab trusts shows "Error displaying widget: model not found" until its cells run again: its
widget renderer comes first and has no fallback.

Drawn with Pillow, not matplotlib: text and a few pixels are a millisecond's work, where a
matplotlib figure would cost tens. Fonts are the DejaVu fonts matplotlib ships; in Chinese the
words are written with the CJK font the set-up installs (``convlab.fonts``), as Pillow has no
per-glyph fallback: a DejaVu font would draw every Chinese character as a box.
"""

import io
import re
import textwrap
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from convlab.fonts import installed_cjk_font
from convlab.language import language

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = {
    "plain": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
    "note": "DejaVuSans-Oblique.ttf",
}
SIZES = {"title": 18, "text": 16, "note": 14}  # px: the widgets' pictures write 12 pt at 100 dpi
INK, GREY, FRAME, RED = (34, 34, 34), (100, 100, 100), (190, 190, 190), (176, 0, 0)
# How a line is written: style → (font, colour); "error" as the widgets' red message line.
LINE_STYLES = {"plain": ("plain", INK), "bold": ("bold", INK), "mono": ("mono", INK)}
LINE_STYLES["error"] = ("bold", RED)
MARGIN, LINE_GAP = 12, 5
MIN_WIDTH = 640  # narrower pictures get a card this wide, so the lines above them wrap less


# Styles written in the CJK font in Chinese; "mono" lines are tables of numbers and keep DejaVu
# Sans Mono's columns. The CJK fonts have one weight: bold and oblique look plain there.
CJK_STYLES = ("plain", "bold", "note")


def font(style="plain", size=SIZES["text"]):
    """The font of ``style`` ("plain", "bold", "mono" or "note", oblique) at ``size`` pixels for the
    current language: DejaVu, or the installed CJK font for Chinese words."""
    return _font(style, size, language() == "zh" and style in CJK_STYLES)


@cache
def _font(style, size, cjk):
    if cjk:
        path, index = cjk_font_file()
        return ImageFont.truetype(path, size, index=index)
    return ImageFont.truetype(str(FONT_DIR / FONT_FILES[style]), size)


@cache
def cjk_font_file():
    """(path, face index) of the CJK font matplotlib draws Chinese with (a .ttc holds several)."""
    name = installed_cjk_font()
    entry = next(f for f in font_manager.fontManager.ttflist if f.name == name)
    return entry.fname, getattr(entry, "index", 0)


def text_width(text, style="plain", size=SIZES["text"]):
    return font(style, size).getlength(text)


# Chinese wraps between any two characters (as browsers do), never inside a Latin word or number.
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
CJK_PIECES = re.compile(f"[{CJK}]|[^\\s{CJK}]+|\\s+")


def wrap(text, width, style="plain", size=SIZES["text"]):
    """``text`` cut into lines at most ``width`` pixels wide (between words where it can)."""
    if text_width(text, style, size) <= width:
        return [text]
    if re.search(f"[{CJK}]", text):
        return wrap_cjk(text, width, style, size)
    average = max(text_width("n x 0 = Y[", style, size) / 10, 1.0)
    columns = max(int(width / average), 10)
    while True:
        lines = textwrap.wrap(text, columns, break_on_hyphens=False) or [""]
        if columns <= 10 or all(text_width(line, style, size) <= width for line in lines):
            return lines
        columns -= 2


def wrap_cjk(text, width, style, size):
    """Chinese ``text`` cut into lines at most ``width`` pixels wide: greedily, between two
    characters or at a space (a line starts with no space)."""
    lines, line = [], ""
    for piece in CJK_PIECES.findall(text):
        if line and not piece.isspace() and text_width(line + piece, style, size) > width:
            lines.append(line.rstrip())
            line = ""
        if line or not piece.isspace():
            line += piece
    return [*lines, line.rstrip()]


def decode_png(png):
    """PNG bytes → an RGB ``PIL.Image`` (transparency on white)."""
    image = Image.open(io.BytesIO(png))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image)
    return image.convert("RGB")


def encode_png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def card(title, lines, picture, note):
    """PNG bytes: ``title`` (bold), then ``lines``, then ``picture`` (PNG bytes or a PIL image),
    then ``note`` (grey, oblique), in a thin frame: the still picture of a widget.

    lines: strings, or (style, string) pairs with style "plain", "bold", "error" (red) or "mono";
    a mono line is written as it is (for small tables of numbers), the others wrap to the card's
    width. Empty lines are left out.
    """
    image = decode_png(picture) if isinstance(picture, bytes) else picture.convert("RGB")
    width = max(image.width, MIN_WIDTH) + 2 * MARGIN
    inner = width - 2 * MARGIN
    rows = [(part, "bold", SIZES["title"], INK) for part in wrap(title, inner, "bold", 18)]
    for line in lines:
        style, text = ("plain", line) if isinstance(line, str) else line
        face, colour = LINE_STYLES[style]
        parts = [text] if style == "mono" else wrap(text, inner, face) if text else []
        rows += [(part, face, SIZES["text"], colour) for part in parts]
    footer = [(part, "note", SIZES["note"], GREY) for part in wrap(note, inner, "note", 14)]

    def height_of(block):
        return sum(size + LINE_GAP for _, _, size, _ in block)

    top = MARGIN + height_of(rows) + LINE_GAP
    bottom = top + image.height + LINE_GAP
    total = bottom + height_of(footer) + MARGIN
    canvas = Image.new("RGB", (width, total), "white")
    canvas.paste(image, (MARGIN, top))
    draw = ImageDraw.Draw(canvas)
    write_rows(draw, rows, MARGIN)
    write_rows(draw, footer, bottom)
    draw.rectangle((0, 0, width - 1, total - 1), outline=FRAME)
    return encode_png(canvas)


def write_rows(draw, rows, y):
    for text, style, size, colour in rows:
        draw.text((MARGIN, y), text, font=font(style, size), fill=colour)
        y += size + LINE_GAP
    return y


def matrix_lines(values, digits=4):
    """A small matrix as mono lines, each value right-aligned: [("mono", "  -1    0    1"), …].
    Values in ``digits`` significant digits, without a "-0"."""
    texts = [[f"{v + 0.0:.{digits}g}" for v in row] for row in values.tolist()]
    column = max(len(t) for row in texts for t in row) + 2
    return [("mono", "".join(t.rjust(column) for t in row)) for row in texts]


def grey_pixels(values, low, high, scale):
    """…×h×w values → …×(h·scale)×(w·scale) uint8 grey pixels: low black, high white, as the
    browser views draw their maps (each value a scale×scale square, no smoothing)."""
    span = high - low if high > low else 1.0
    grey = np.round(255 * (np.asarray(values, dtype=np.float32) - low) / span)
    grey = np.clip(grey, 0, 255).astype(np.uint8)
    return grey.repeat(scale, axis=-2).repeat(scale, axis=-1)


def tile(pixels, per_row, gap):
    """C×h×w uint8 pixels → one white uint8 mosaic, ``per_row`` maps a row, ``gap`` px apart."""
    count, height, width = pixels.shape
    rows = -(-count // per_row)
    mosaic = np.full(
        (rows * (height + gap) - gap, min(count, per_row) * (width + gap) - gap), 255, np.uint8
    )
    for index, block in enumerate(pixels):
        row, column = divmod(index, per_row)
        top, left = row * (height + gap), column * (width + gap)
        mosaic[top : top + height, left : left + width] = block
    return mosaic
