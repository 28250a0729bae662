"""Chinese text in matplotlib figures: a real CJK font, never empty boxes.

matplotlib's default font, DejaVu Sans, has no Chinese glyphs: it draws boxes and warns
"Glyph ... missing from font(s) DejaVu Sans". use_cjk_font() puts an installed CJK font after
DejaVu Sans in ``font.family``, so matplotlib falls back per glyph: Latin letters, digits and
maths stay in DejaVu Sans, the Chinese comes from the CJK font.
"""

from matplotlib import font_manager, rcParams

from convlab.language import _

LATIN_FONT = "DejaVu Sans"
# The Debian packages' fonts first (CI installs fonts-wqy-microhei), then two that Windows ships.
CJK_FONTS = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei")
APT_PACKAGES = ("fonts-noto-cjk", "fonts-wqy-microhei")
# The packages' font files, for a font installed after matplotlib built its font cache.
CJK_FONT_FILES = ("NotoSansCJK-Regular.ttc", "wqy-microhei.ttc")


class MissingCJKFontError(RuntimeError):
    """No font that can draw Chinese is installed where matplotlib can find it."""


def first_installed(names):
    """The first of ``names`` that matplotlib knows as an installed font, or None."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in names if name in installed), None)


def add_fonts_installed_after_the_cache():
    """Register the packages' CJK font files that matplotlib's cached font list misses."""
    for path in font_manager.findSystemFonts():
        if path.endswith(CJK_FONT_FILES):
            font_manager.fontManager.addfont(path)


def installed_cjk_font():
    """The name of the first font of CJK_FONTS that is installed; MissingCJKFontError if none is."""
    font = first_installed(CJK_FONTS)
    if font is None:
        add_fonts_installed_after_the_cache()
        font = first_installed(CJK_FONTS)
    if font is None:
        # Translators: joins the two install commands, as in "`…` or `…`".
        commands = _(" or ").join(f"`sudo apt-get install {package}`" for package in APT_PACKAGES)
        raise MissingCJKFontError(
            _(
                "no font for Chinese text is installed (looked for {fonts}): "
                "on Debian or Ubuntu run {commands}"
            ).format(fonts=", ".join(CJK_FONTS), commands=commands)
        )
    return font


def use_cjk_font():
    """Make matplotlib draw Chinese with an installed CJK font; return that font's name.

    Sets ``rcParams["font.family"]`` to DejaVu Sans followed by the CJK font (per-glyph fallback;
    ``font.sans-serif`` would not fall back). Raises MissingCJKFontError, naming the apt packages
    that install one, when no CJK font is installed.
    """
    font = installed_cjk_font()
    rcParams["font.family"] = [LATIN_FONT, font]
    return font
