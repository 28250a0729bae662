"""Headless tests of helpers.ConvShapeExplorer: set each control's .value, check the state."""

import math

import ipywidgets as widgets
import pytest
import torch
from torch import nn

import helpers


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
def test_output_size_matches_conv2d(explorer, n, k, p, s):
    set_controls(explorer, n, k, p, s)
    expected = conv2d_output_size(n, k, p, s)
    assert explorer.output_size == expected
    assert (explorer.message == "") == (expected is not None)


def test_shape_text_works_the_formula_out(explorer):
    set_controls(explorer, 8, 3, 1, 2)
    assert explorer.shape_text.startswith("output size = floor((8 + 2·1 − 3) / 2) + 1")
    assert explorer.shape_text.endswith(f"= {math.floor((8 + 2 - 3) / 2) + 1}")
    shown = explorer.output_text.value.replace(
        "<br>", " "
    )  # the widget breaks the line before the '='
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
    assert "= 6" in explorer.message
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
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


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
