"""The language switch (convlab.language, helpers.set_language) and the catalogue of the code's
strings (tools.code_catalogue): one source, gettext, nothing untranslated or fuzzy shipped."""

import subprocess
import sys

import pytest

import helpers
from convlab import language
from tools import code_catalogue


@pytest.fixture()
def chinese():
    """The series in Chinese for one test, English again afterwards."""
    helpers.set_language("zh")
    yield
    helpers.set_language("en")


def test_english_is_the_default_and_the_message_id(chinese):
    helpers.set_language("en")
    assert helpers.language() == "en"
    with pytest.raises(ValueError, match="language must be one of"):
        helpers.set_language("fr")


def test_chinese_errors_name_the_argument_in_code(chinese):
    assert helpers.language() == "zh"
    with pytest.raises(ValueError) as error:
        helpers.set_language("fr")
    assert str(error.value).startswith("language 必须是") and "'fr'" in str(error.value)
    with pytest.raises(TypeError, match="language 必须是字符串"):
        helpers.set_language(None)


@pytest.mark.parametrize(
    "environ, cwd, expected",
    [
        ({}, "/repo/notebooks", "en"),
        ({}, "/repo/notebooks/zh", "zh"),
        ({}, "/repo/my-lessons/zh", "zh"),
        ({"JPY_SESSION_NAME": "/repo/learner/zh/02_edge_detection.ipynb"}, "/", "zh"),
        ({"JPY_SESSION_NAME": "/repo/learner/en/02_edge_detection.ipynb"}, "/repo/zh", "en"),
        ({"CONVLAB_LANGUAGE": "zh"}, "/repo/notebooks", "zh"),
        ({"CONVLAB_LANGUAGE": "en"}, "/repo/notebooks/zh", "en"),
    ],
)
def test_a_kernel_starts_in_its_editions_language(environ, cwd, expected):
    assert language.edition_language(environ, cwd) == expected


def test_a_bad_language_in_the_environment_is_an_error():
    with pytest.raises(ValueError, match="'fr'"):
        language.edition_language({"CONVLAB_LANGUAGE": "fr"}, "/")


def test_a_kernel_in_a_chinese_folder_imports_helpers_in_chinese(tmp_path):
    folder = tmp_path / "zh"
    folder.mkdir()
    spoken = subprocess.run(
        [sys.executable, "-c", "import helpers; print(helpers.language())"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout
    assert spoken.strip() == "zh"


def test_fuzzy_translations_are_never_shown(tmp_path):
    po = tmp_path / "zh" / "LC_MESSAGES" / "convlab.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Play"\nmsgstr "播放"\n\n#, fuzzy\nmsgid "Stop"\nmsgstr "暂停"\n',
        encoding="utf-8",
    )
    translation = language.load_translation("zh", tmp_path)
    assert translation.gettext("Play") == "播放"
    assert translation.gettext("Stop") == "Stop"


def test_the_code_catalogue_is_complete_and_up_to_date():
    assert code_catalogue.problems() == []


def test_a_translation_that_drops_a_placeholder_is_a_problem():
    from babel.messages.catalog import Message

    message = Message("got {value}, expected {expected}", "得到 {value}")
    assert "placeholders" in code_catalogue.entry_problems(message)[0]
    assert code_catalogue.entry_problems(Message("Play", "")) == ["untranslated"]
    assert code_catalogue.entry_problems(Message("Play", "播放")) == []


def test_without_a_cjk_font_chinese_still_switches_and_says_how_to_get_one(chinese, monkeypatch):
    from convlab import fonts

    def no_font():
        raise fonts.MissingCJKFontError("no font for Chinese text is installed")

    helpers.set_language("en")
    monkeypatch.setattr(fonts, "use_cjk_font", no_font)
    with pytest.warns(UserWarning, match="no font for Chinese"):
        helpers.set_language("zh")
    assert helpers.language() == "zh"
