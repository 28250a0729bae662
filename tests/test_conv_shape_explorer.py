"""Headless tests of helpers.ConvShapeExplorer: set each control's .value, check the state."""

import html
import math
import re

import ipywidgets as widgets
import pytest
import torch
from torch import nn

import helpers
from convlab.widgets.conv_shape import example_input, example_kernel


def conv2d_output_size(n, k, p, s):
    """Output size PyTorch's nn.Conv2d gives for an n×n input, or None if it refuses."""
    layer = nn.Conv2d(1, 1, kernel_size=k, padding=p, stride=s)
    try:
        with torch.no_grad():
            Y = layer(torch.zeros(1, 1, n, n))
    except RuntimeError:
        return None
    assert Y.shape[-1] == Y.shape[-2]
    return Y.shape[-1]


@pytest.fixture
def explorer():
    return helpers.ConvShapeExplorer()


def set_controls(explorer, n, k, p, s):
    explorer.input_size.value = n
    explorer.kernel_size.value = k
    explorer.padding.value = p
    explorer.stride.value = s


def test_default_state_matches_conv2d(explorer):
    n, k, p, s = (
        c.value
        for c in (explorer.input_size, explorer.kernel_size, explorer.padding, explorer.stride)
    )
    assert explorer.output_size == conv2d_output_size(n, k, p, s)
    assert explorer.message == ""
    assert explorer.drawing.value == explorer.drawing_png
    assert explorer.drawing_png.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "n, k, p, s",
    [
        (8, 3, 1, 2),
        (5, 3, 0, 1),
        (7, 2, 0, 2),
        (12, 7, 3, 4),
        (1, 1, 0, 1),
        (6, 5, 2, 3),
        (9, 4, 1, 1),
        (1, 3, 1, 4),
        (2, 7, 2, 1),
        (3, 6, 1, 2),
    ],
)
def test_output_size_matches_conv2d(n, k, p, s):
    explorer = helpers.ConvShapeExplorer(n, k, p, s)
    expected = conv2d_output_size(n, k, p, s)
    assert explorer.output_size == expected
    assert (explorer.message == "") == (expected is not None)
    if expected is not None:
        assert torch.equal(explorer.Y.float(), conv2d_of_example(explorer))


def test_shape_text_works_the_formula_out(explorer):
    set_controls(explorer, 8, 3, 1, 2)
    assert explorer.shape_text.startswith("output size = floor((8 + 2·1 − 3) / 2) + 1")
    assert explorer.shape_text.endswith(f"= {math.floor((8 + 2 - 3) / 2) + 1}")
    # the widget breaks the line before the '=' and keeps each term on one line (spans)
    shown = re.sub(r"<(?!br>)[^>]+>", "", explorer.output_text.value).replace("<br>", " ")
    assert explorer.shape_text in shown
    set_controls(explorer, 5, 2, 0, 1)
    assert "floor((5 + 2·0 − 2) / 1) + 1" in explorer.shape_text
    assert explorer.shape_text.endswith(f"= {conv2d_output_size(5, 2, 0, 1)}")


def test_kernel_larger_than_padded_input_shows_message(explorer):
    set_controls(explorer, 4, 7, 1, 1)  # padded input 6 < kernel 7
    assert conv2d_output_size(4, 7, 1, 1) is None
    assert explorer.output_size is None
    assert explorer.shape_text == ""
    assert "7×7 kernel is larger than the padded input" in explorer.message
    assert "4\u00a0+\u00a02·1\u00a0=\u00a06" in explorer.message  # one unbreakable sum
    assert explorer.message in explorer.message_html.value
    assert explorer.window.disabled
    assert explorer.drawing_png.startswith(b"\x89PNG")
    explorer.padding.value = 2  # padded input 8 ≥ 7: valid again
    assert explorer.message == "" and explorer.message_html.value == ""
    assert explorer.output_size == conv2d_output_size(4, 7, 2, 1)
    assert not explorer.window.disabled


@pytest.mark.parametrize(
    "control, new_value",
    [
        ("input_size", 10),
        ("kernel_size", 5),
        ("padding", 0),
        ("stride", 1),
        ("window", 3),
    ],
)
def test_drawing_changes_with_each_control(explorer, control, new_value):
    before = explorer.drawing_png
    getattr(explorer, control).value = new_value
    assert explorer.drawing_png != before
    assert explorer.drawing.value == explorer.drawing_png


def test_window_slider_steps_through_all_positions(explorer):
    set_controls(explorer, 6, 3, 0, 1)
    positions = conv2d_output_size(6, 3, 0, 1) ** 2
    assert (explorer.window.min, explorer.window.max) == (0, positions - 1)
    explorer.window.value = positions - 1
    set_controls(
        explorer, 6, 3, 0, 2
    )  # fewer positions: the slider is clamped, not left out of range
    assert explorer.window.max == conv2d_output_size(6, 3, 0, 2) ** 2 - 1
    assert explorer.window.value == explorer.window.max


def test_controls_are_bounded_and_tagged(explorer):
    classes = {
        "input_size": "shape-input",
        "kernel_size": "shape-kernel",
        "padding": "shape-padding",
        "stride": "shape-stride",
        "output_text": "shape-output",
        "drawing": "shape-drawing",
    }
    for name, css_class in classes.items():
        assert css_class in getattr(explorer, name)._dom_classes
    for name, (low, high) in helpers.ConvShapeExplorer.LIMITS.items():
        control = getattr(explorer, name)
        assert (control.min, control.max) == (low, high)
        control.value = high + 5
        assert control.value == high  # a slider clamps to its bounds
    assert isinstance(explorer.ui, widgets.Box)
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()[0]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"input_size": 0}, ValueError),
        ({"kernel_size": 8}, ValueError),
        ({"stride": 1.5}, TypeError),
        ({"padding": True}, TypeError),
    ],
)
def test_bad_constructor_arguments_name_the_argument(kwargs, error):
    (name,) = kwargs
    with pytest.raises(error, match=name):
        helpers.ConvShapeExplorer(**kwargs)


# --------------------------------------------------------------------------------------------------
# The example numbers, the written-out sum of each window and the play button
# --------------------------------------------------------------------------------------------------


def conv2d_of_example(explorer):
    """PyTorch's output for the explorer's X and K with its padding and stride, out×out."""
    X, K = explorer.X.float()[None, None], explorer.K.float()[None, None]
    Y = torch.nn.functional.conv2d(
        X, K, padding=explorer.padding.value, stride=explorer.stride.value
    )
    return Y[0, 0]


def written_result(window_text):
    """The number after the last '=' of a written-out line."""
    return float(window_text.rsplit("= ", 1)[1])


def test_lesson_example_appears_for_n3_k2():
    explorer = helpers.ConvShapeExplorer(3, 2, 0, 1)
    assert explorer.X.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert explorer.K.tolist() == [[1, 2], [3, 4]]
    assert explorer.Y.tolist() == [[37, 47], [67, 77]]
    assert explorer.window_text == "Y[0, 0] = 1·1 + 2·2 + 4·3 + 5·4 = 37"


# n, k, p, s: a 3×3 kernel with padding and stride (the notebook's), lesson 01's example, a 1×1
# kernel on padding, a 4×4 kernel (padding products left out), the largest kernel (49 products).
@pytest.mark.parametrize(
    "n, k, p, s", [(8, 3, 1, 2), (3, 2, 0, 1), (4, 1, 1, 2), (5, 4, 1, 2), (8, 7, 1, 2)]
)
def test_every_window_sum_equals_conv2d(n, k, p, s):
    explorer = helpers.ConvShapeExplorer(n, k, p, s)
    expected = conv2d_of_example(explorer)
    assert torch.equal(explorer.Y.float(), expected)
    out = explorer.output_size
    for window in range(out * out):
        explorer.window.value = window
        i, j = divmod(window, out)
        text = explorer.window_text
        assert text.startswith(f"Y[{i}, {j}] = ")
        assert written_result(text) == expected[i, j].item(), text
        assert text in html.unescape(re.sub(r"<[^>]+>", "", explorer.window_html.value))
        sums = text.split(" = ")[1]
        products = [term for term in sums.split(" + ") if "·" in term]
        assert sum(int(a) * int(b) for a, b in (t.split("·") for t in products)) == expected[i, j]
        if k <= 3:
            assert len(products) == k * k  # a small window's sum is written in full
        else:
            zeros = k * k - len(products)
            assert all(int(a) * int(b) for a, b in (t.split("·") for t in products))
            assert f"({zeros} products that are 0)" in text or zeros == 0


def test_example_values_stay_one_digit_for_every_size():
    for n in range(1, 13):
        X = example_input(n)
        assert X.shape == (n, n) and 1 <= X.min() and X.max() <= 9
    for k in range(1, 8):
        K = example_kernel(k)
        assert K.shape == (k, k) and 1 <= K.min() and K.max() <= 4


def test_play_steps_the_window_slider_and_follows_the_number_of_positions():
    explorer = helpers.ConvShapeExplorer(4, 3, 1, 2)  # small grids: each change redraws
    play, window = explorer.play, explorer.window
    assert "shape-play" in play._dom_classes
    assert "shape-window-sum" in explorer.window_html._dom_classes
    assert explorer.play_link.source == (play, "value")
    assert explorer.play_link.target == (window, "value")
    assert 0 < play.interval <= 200  # at least 5 positions a second
    for name, value in [(None, None), ("stride", 1), ("kernel_size", 6)]:
        if name:
            getattr(explorer, name).value = value
        n, k, p, s = (
            c.value
            for c in (explorer.input_size, explorer.kernel_size, explorer.padding, explorer.stride)
        )
        positions = conv2d_output_size(n, k, p, s) ** 2
        assert (play.min, play.max) == (0, positions - 1) == (window.min, window.max)
        assert not play.disabled
    assert play.max == 0  # the 6×6 kernel just fits the padded 4 + 2·1: one position
    explorer.padding.value = 0  # input 4 < kernel 6: nothing to play
    assert play.disabled and window.disabled
    assert explorer.window_text == "" and explorer.window_html.value == ""


def test_drawing_follows_the_window_and_comes_back_the_same(explorer):
    pictures = []
    for window in (0, 5, 0):
        explorer.window.value = window
        pictures.append(explorer.drawing_png)
        assert explorer.drawing.value == explorer.drawing_png
    first, moved, back = pictures
    assert moved != first
    assert back == first  # each picture is drawn afresh, nothing of the last one stays


# Accessibility: what the controls are called, what the picture says, what the live region says


def test_controls_are_named_for_what_they_set():
    explorer = helpers.ConvShapeExplorer()
    names = [
        c.description
        for c in (explorer.input_size, explorer.kernel_size, explorer.padding, explorer.stride)
    ]
    assert names == ["input size n", "kernel size k", "padding p", "stride s"]
    assert explorer.window.description == "window position"
    texts = explorer.play.texts
    assert texts["play_name"].startswith("Play") and texts["stop_name"].startswith("Stop")
    assert texts["icons"]["play"] == "▶"  # the lesson calls it "the play button ▶"
    assert texts["keys"].startswith("Keys: ") and "Enter or Space" in texts["keys"]
    assert explorer.play.interval == 160  # the play rate: one window every 160 ms


def test_alt_text_and_announcement_say_the_window_and_its_sum():
    explorer = helpers.ConvShapeExplorer(3, 2, 0, 1)  # lesson 01's worked example
    explorer.window.value = 1
    assert explorer.window_text == "Y[0, 1] = 2·1 + 3·2 + 5·3 + 6·4 = 47"
    assert explorer.announcement == "Window 2 of 4: Y[0, 1] = 2·1 + 3·2 + 5·3 + 6·4 = 47."
    assert explorer.play.announcement == explorer.announcement  # what the live region says
    assert (
        explorer.drawing.alt
        == explorer.alt_text()
        == (
            "input 3×3, every 2×2 window position outlined in blue, the current one outlined in "
            "red from row 0, column 1; output 2×2, Y[0, 1] = 2·1 + 3·2 + 5·3 + 6·4 = 47."
        )
    )
    set_controls(explorer, 5, 3, 1, 2)
    explorer.window.value = 1
    assert explorer.drawing.alt.startswith("input 5×5 padded to 7×7, every 3×3 window")
    assert "from row 0, column 2; output 3×3, Y[0, 1] = " in explorer.drawing.alt
    explorer.kernel_size.value = 7
    explorer.padding.value = 0  # the 7×7 kernel does not fit the 5×5 input
    assert explorer.announcement == "The 7×7 kernel does not fit: no output."
    assert "does not fit" in explorer.drawing.alt


def test_formula_and_sum_wrap_only_between_terms():
    explorer = helpers.ConvShapeExplorer(8, 3, 1, 2)
    assert "<span style='white-space: nowrap'>floor((8 + 2·1 − 3) / 2)</span>" in (
        explorer.output_text.value
    )
    assert "<span style='white-space: nowrap'>Y[0, 0]</span>" in explorer.window_html.value
