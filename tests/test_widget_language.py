"""The four widgets in Chinese: after ``set_language("zh")`` every word a learner reads or hears
(control names, options, player buttons, keys lines, alt text, announcements, the still picture's
lines) is Chinese; code and maths (Y[0, 1] = 2·1 + …, floor(…), max(…)) stay as they are."""

import re

import pytest
import torch
from matplotlib import font_manager

import helpers
from convlab.language import set_language
from convlab.widgets import ConvShapeExplorer, KernelEditor, LeNetExplorer, PoolingExplorer, still
from convlab.widgets.client import JS_DIR
from convlab.widgets.kernel_editor import editor_presets
from convlab.widgets.lenet_explorer import VIEW_TEXTS, check_explorer_net, ink_from_bytes
from convlab.widgets.pooling import check_named_images
from convlab.widgets.window_inspector import WindowInspector, check_inspected
from support.lessons import first_examples

# Latin words that stay in Chinese text: key names, product names, maths and kernel names.
KEPT = {
    "Tab", "Enter", "Space", "Home", "Escape", "Shift", "JupyterLab", "LeNet", "ReLU",
    "Sobel", "Fashion", "MNIST", "floor", "max", "mean",
}  # fmt: skip
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def english_left_in(text):
    """The Latin words of ``text`` (two letters or more) that are not code, maths, names or a
    template's {placeholders}."""
    return set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[^{}]*\}", "", text))) - KEPT


def assert_chinese(texts):
    for text in texts:
        assert CHINESE.search(text), f"no Chinese in {text!r}"
        assert not english_left_in(text), f"English left in {text!r}"


def lines_of(widget):
    """The still picture's written lines (the mono rows are numbers)."""
    lines = [line if isinstance(line, str) else line[1] for line in widget.picture_lines()]
    return [line for line in lines if line and re.search("[A-Za-z\u4e00-\u9fff]", line)]


@pytest.fixture
def chinese():
    set_language("zh")
    yield
    set_language("en")


@pytest.fixture(scope="module")
def data(fashion):
    return first_examples(fashion, 10, 200)


def player_words(play):
    return [text for name, text in play.texts.items() if name != "icons"]


def test_the_shape_explorer_speaks_chinese(chinese):
    explorer = ConvShapeExplorer()
    controls = (explorer.input_size, explorer.kernel_size, explorer.padding, explorer.stride)
    assert [c.description for c in controls] == ["输入大小 n", "卷积核大小 k", "填充 p", "步幅 s"]
    assert explorer.window.description == "窗口位置"
    assert explorer.play.texts["play"] == "播放" and explorer.play.texts["keys"].startswith(
        "按键："
    )
    assert_chinese(player_words(explorer.play))
    assert_chinese([explorer.alt_text(), explorer.announcement, explorer.state_line()])
    assert_chinese([lines_of(explorer)[0], explorer.shape_text, explorer.text_summary()])
    explorer.kernel_size.value, explorer.padding.value = 7, 0
    explorer.input_size.value = 4
    assert_chinese([explorer.message, explorer.alt_text(), explorer.announcement])


def test_the_pooling_explorer_speaks_chinese(chinese):
    explorer = PoolingExplorer(padding=1)
    assert [label for label, _ in explorer.mode.options] == ["最大", "平均"]
    assert explorer.image.options[0][0] == "边缘图像" and explorer.image.value == "edge image"
    names = [explorer.image, explorer.pool_size, explorer.stride, explorer.padding, explorer.mode]
    assert_chinese([control.description for control in names])
    assert_chinese([*player_words(explorer.play), explorer.alt_text(), explorer.announcement])
    assert_chinese([*lines_of(explorer)[:3], explorer.state_line()])
    explorer.mode.value = "avg"
    assert "平均汇聚" in explorer.shape_text


def test_the_kernel_editor_and_its_inspector_speak_chinese(chinese, data):
    editor = KernelEditor(data.test_images[:20], data.test_labels[:20], data.classes)
    controls = [editor.size, editor.preset, editor.image_source, editor.image_class]
    assert_chinese([c.description for c in [*controls, editor.image_index, *editor._all_cells()]])
    presets = dict(editor.preset.options)
    assert presets["高斯模糊"] == "Gaussian blur" and presets["自定义"] == "custom"
    assert_chinese([label for label, _ in editor.image_source.options + editor.image_class.options])
    assert_chinese([editor.alt_text(), editor.state_line(), *lines_of(editor)])
    editor.inspector.pointed = [1, 2]
    assert_chinese([editor.inspector.caption, editor.inspector.window_text.splitlines()[0]])
    texts = editor.inspector.texts
    assert_chinese([texts[name] for name in texts if name != "sentence_products"])
    editor.size.value = 5  # 25 products: the sentence names the window instead
    editor.inspector.pointed = [1, 2]
    assert_chinese([editor.inspector.announcement])
    editor.cells[0][0].value = 2.5
    assert editor.preset.value == "custom" and "自定义" in editor.alt_text()


def view_words(texts):
    for text in texts.values():
        yield from view_words(text) if isinstance(text, dict) else [text]


def test_the_lenet_explorer_speaks_chinese(chinese, data):
    torch.manual_seed(0)
    explorer = LeNetExplorer(helpers.lenet("notes"), data)
    assert_chinese(view_words(explorer.view.texts))
    assert explorer.view.classes[0] == "T恤/上衣" == explorer.image_class.options[0][0]
    assert_chinese([explorer.image_class.description, explorer.index.description])
    assert_chinese([explorer.view.caption, explorer.view.input_label, explorer.source.value])
    assert_chinese([explorer.view.announcement, explorer.state_line(), *lines_of(explorer)])
    assert_chinese([explorer.describe(2, 3, 4, 5)])
    assert_chinese([layer["title"] for layer in explorer.view.layers])
    explorer.draw(torch.zeros(28, 28))
    assert_chinese([explorer.source.value, explorer.view.caption])
    assert explorer.view.texts["failed"] == "LeNet 探索控件无法{action}：{error}"
    with pytest.raises(ValueError, match=r"^image 的形状必须是 28×28，实际形状为 \(32, 32\)$"):
        explorer.show(torch.zeros(32, 32), "a bad image")


def test_the_english_widgets_stay_english():
    explorer = PoolingExplorer()
    assert explorer.mode.options == (("max", "max"), ("average", "avg"))
    assert explorer.play.texts["play"] == "Play"
    assert explorer.announcement.startswith("Window 1 of 12: ")
    assert not CHINESE.search(explorer.alt_text() + " ".join(lines_of(explorer)))


def written_characters(widget):
    lines = [line if isinstance(line, str) else line[1] for line in widget.picture_lines()]
    return set("".join(lines)) - set(" \n")


def test_a_chinese_still_picture_is_written_in_a_font_that_has_every_character(chinese):
    explorer = ConvShapeExplorer()
    chinese_png = explorer.still_png()
    path, index = still.cjk_font_file()
    assert still.font("plain").path == path and still.font("bold").path == path
    charmap = font_manager.get_font(path).get_charmap()  # face 0 of a .ttc
    assert index == 0
    missing = {c for c in written_characters(explorer) if ord(c) not in charmap}
    assert not missing, f"the still picture would draw boxes for {''.join(sorted(missing))}"
    set_language("en")
    assert still.font("plain").path.endswith("DejaVuSans.ttf")
    assert ConvShapeExplorer().still_png() != chinese_png


def test_chinese_wraps_between_characters_never_inside_a_latin_word(chinese):
    text = "这是该控件显示时的静态图片：在 JupyterLab 中运行本课即可使用它（拖动滑块）。" * 2
    lines = still.wrap(text, 300)
    assert len(lines) > 2 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(still.text_width(line) <= 300 for line in lines)
    assert all("JupyterLab" in line for line in lines if "Jupyter" in line)


def point_at(cell):
    WindowInspector().pointed = cell


# A widget's own errors: the call, the error it raises, its English and its Chinese message.
WIDGET_ERRORS = [
    (
        lambda: check_named_images([1]),
        TypeError,
        "images must be a dict mapping names to h×w tensors, got list",
        "images 必须是把名称映射到 h×w 张量的 dict，实际得到 list",
    ),
    (
        lambda: editor_presets(4.0),
        TypeError,
        "size must be an int (3 or 5), got float 4.0",
        "size 必须是整数（3 或 5），实际得到 float 4.0",
    ),
    (
        lambda: check_inspected(torch.ones(4, 4), torch.ones(3, 2), torch.ones(2, 3)),
        ValueError,
        "kernel must be square (k×k), got shape (3, 2)",
        "kernel 必须是方阵（k×k），实际形状为 (3, 2)",
    ),
    (
        lambda: point_at([1, 2, 3]),
        ValueError,
        "pointed must be [row, column] or [] for none, got 3 values: [1, 2, 3]",
        "pointed 必须是 [row, column]，未指向时为 []，实际得到 3 个值：[1, 2, 3]",
    ),
    (
        lambda: check_explorer_net(lambda x: x, classes=list("0123456789")),
        TypeError,
        "net must be a torch.nn.Module, got function",
        "net 必须是 torch.nn.Module，实际得到 function",
    ),
    (
        lambda: ink_from_bytes(bytes(3), size=2),
        ValueError,
        "drawing must hold 2×2 = 4 bytes, got 3",
        "drawing 必须包含 2×2 = 4 个字节，实际得到 3 个",
    ),
]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("call, error, english, chinese_text", WIDGET_ERRORS)
def test_the_widgets_errors_speak_the_learners_language(
    language, call, error, english, chinese_text
):
    set_language(language)
    try:
        with pytest.raises(error) as raised:
            call()
    finally:
        set_language("en")
    assert str(raised.value) == (chinese_text if language == "zh" else english)


def test_every_error_line_of_the_lenet_view_is_a_translated_action():
    """The view's error line is texts.failed filled with texts.actions[where]: every ``where``
    the view reports must be one of the actions, and no English sentence is left in the view."""
    source = (JS_DIR / "lenet_explorer.js").read_text(encoding="utf-8")
    reported = set(re.findall(r'safely\("(\w+)"', source))
    assert reported and reported <= set(VIEW_TEXTS["actions"])
    assert "could not" not in source
    assert "cannot draw" not in (JS_DIR / "window_inspector.js").read_text(encoding="utf-8")
