"""Chinese in a figure is drawn with a real CJK font: a missing glyph is an error here, not a box.

The set-up installs the font (CI: fonts-wqy-microhei in .ci/run; README: apt-get install). Nothing
is skipped: on a machine without a CJK font these tests fail, naming the apt package to install.
"""

import warnings

import matplotlib
import pytest
from babel.messages.pofile import read_po
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from convlab import fonts
from convlab.language import catalogue_path

# Every Chinese term of the README glossary, next to Latin text and digits drawn by DejaVu Sans.
GLOSSARY_TERMS = (
    "互相关运算 卷积 卷积核（滤波器） 填充 步幅 特征映射 感受野 边缘检测 多通道 "
    "输入通道 / 输出通道 1×1 卷积 汇聚层（池化层） 最大汇聚层 平均汇聚层 全连接层 激活函数 "
    "批量规范化 学习率 "
    "训练准确率 / 测试准确率 平移不变性 局部性"
)


def draw(text):
    """Draw ``text`` in a title and an axis label; a missing-glyph warning is an error."""
    figure = Figure(figsize=(8, 2))
    canvas = FigureCanvasAgg(figure)  # a plain Figure's canvas draws nothing
    axes = figure.add_subplot()
    axes.set_title(text)
    axes.set_xlabel(f"feature map 特征映射 −1.5 ({text[:5]})")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")
        canvas.draw()


def test_use_cjk_font_draws_every_glossary_term_without_a_missing_glyph():
    with matplotlib.rc_context():
        font = fonts.use_cjk_font()
        assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", font]
        draw(GLOSSARY_TERMS)


def figure_translations():
    """The Chinese of every string figures/make_figures.py draws (the code catalogue's entries)."""
    with open(catalogue_path("zh"), "rb") as po:
        catalogue = read_po(po)
    return "".join(
        message.string
        for message in catalogue
        if message.id and any(path == "figures/make_figures.py" for path, _ in message.locations)
    )


def characters_missing_from_the_cjk_font(text):
    """(font, its file, the characters of ``text`` outside ASCII and DejaVu Sans that it lacks)."""
    with matplotlib.rc_context():
        font = fonts.use_cjk_font()
        path = font_manager.findfont(
            font_manager.FontProperties(family=font), fallback_to_default=False
        )
        charmap = font_manager.get_font(path).get_charmap()
    latin = font_manager.get_font(font_manager.findfont(fonts.LATIN_FONT)).get_charmap()
    missing = {c for c in text if ord(c) not in charmap and ord(c) not in latin and c.isprintable()}
    return font, path, "".join(sorted(missing))


def catalogue_translations():
    """Every msgstr of the code's Chinese catalogue: the plot text among them (titles, axes,
    legends, class names), which a figure must draw."""
    with open(catalogue_path("zh"), "rb") as po:
        catalogue = read_po(po)
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        yield from (string for string in strings if message.id and string)


def test_every_translation_of_the_code_draws_without_a_missing_glyph():
    translations = list(catalogue_translations())
    assert "T恤/上衣" in translations and "训练准确率" in translations
    with matplotlib.rc_context(), warnings.catch_warnings():
        fonts.use_cjk_font()  # before the texts are made: each takes the font family then
        figure = Figure(figsize=(8, 2))
        canvas = FigureCanvasAgg(figure)
        # one text per translation; no maths parsing: a "$" in a message is just a character
        for row, text in enumerate(translations):
            figure.text(0, row / len(translations), text, parse_math=False)
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")
        canvas.draw()


def test_the_cjk_font_is_a_real_file_that_has_the_glyphs():
    font, path, missing = characters_missing_from_the_cjk_font(GLOSSARY_TERMS)
    assert not missing, f"{font} ({path}) lacks {missing}"


def test_the_cjk_font_has_every_character_of_the_figures_chinese_words():
    words = figure_translations()
    assert len(words) > 200 and "卷积核" in words, "the figures' strings are not in the catalogue"
    font, path, missing = characters_missing_from_the_cjk_font(words)
    assert not missing, f"{font} ({path}) lacks {missing}"


def test_without_a_cjk_font_the_missing_glyph_is_caught():
    """The check above is real: DejaVu Sans alone has no Chinese, and drawing it fails."""
    missing_glyph = r"Glyph \d+ .* missing from font\(s\) DejaVu Sans"
    with (
        matplotlib.rc_context({"font.family": ["DejaVu Sans"]}),
        pytest.raises(UserWarning, match=missing_glyph),
    ):
        draw("互相关运算")


def latin_fonts_only(monkeypatch):
    """Make matplotlib's font list look like a machine without any CJK font."""
    latin = [font for font in font_manager.fontManager.ttflist if font.name == "DejaVu Sans"]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)


def test_a_font_installed_after_matplotlib_cached_its_font_list_is_found(monkeypatch):
    latin_fonts_only(monkeypatch)
    with matplotlib.rc_context():
        assert fonts.use_cjk_font() in ("Noto Sans CJK SC", "WenQuanYi Micro Hei")
        draw("互相关运算")


def test_no_cjk_font_installed_is_an_error_naming_the_apt_packages(monkeypatch):
    latin_fonts_only(monkeypatch)
    monkeypatch.setattr(font_manager, "findSystemFonts", list)  # finds no font file
    with matplotlib.rc_context():
        family = list(matplotlib.rcParams["font.family"])
        with pytest.raises(
            fonts.MissingCJKFontError, match="apt-get install fonts-noto-cjk"
        ) as error:
            fonts.use_cjk_font()
        assert "apt-get install fonts-wqy-microhei" in str(error.value)
        assert matplotlib.rcParams["font.family"] == family, (
            "a failed call must leave the fonts alone"
        )
