"""helpers.justify pads by display columns: a Chinese character takes two, so tables line up."""

import pytest

import helpers


@pytest.mark.parametrize(
    "text,width",
    [("", 4), ("shape", 8), ("max pooled 2×2, stride 1", 32), ("→ – · ×", 9), ("long text", 3)],
)
@pytest.mark.parametrize("align", ["<", ">", "^"])
def test_text_without_wide_characters_is_padded_as_format_pads_it(text, width, align):
    assert helpers.justify(text, width, align) == format(text, f"{align}{width}")


@pytest.mark.parametrize(
    "text,width,expected",
    [
        ("卷积", 6, "卷积  "),
        ("最大汇聚 2×2，步幅 1", 24, "最大汇聚 2×2，步幅 1    "),
        ("T恤/上衣", 12, "T恤/上衣    "),
        ("（第 9 轮）", 12, "（第 9 轮） "),
    ],
)
def test_a_wide_character_counts_two_columns(text, width, expected):
    assert helpers.justify(text, width) == expected
    assert helpers.display_width(expected) == width


def test_right_and_centre_alignment_put_the_spaces_before_and_around():
    assert helpers.justify("达到 0.88", 13, ">") == "    达到 0.88"
    assert (
        helpers.justify("均值", 7, "^") == " 均值  "
    )  # the odd space on the right, as format does


def test_chinese_rows_line_up_under_one_header():
    rows = [helpers.justify(name, 12) + "|" for name in ("衬衫", "T恤/上衣", "Ankle boot", "包")]
    assert {helpers.display_width(row) for row in rows} == {13}


def test_a_text_wider_than_width_is_returned_whole():
    assert helpers.justify("汇聚层", 4) == "汇聚层"
    assert helpers.display_width("汇聚层") == 6


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: helpers.justify(5, 3), TypeError, "text must be a str, got int 5"),
        (lambda: helpers.display_width(None), TypeError, "text must be a str, got NoneType"),
        (lambda: helpers.justify("a", 2.5), TypeError, "width must be an int, got float 2.5"),
        (lambda: helpers.justify("a", -1), ValueError, "width must be an int ≥ 0, got -1"),
        (lambda: helpers.justify("a", 3, "right"), ValueError, "align must be one of"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error) as excinfo:
        call()
    assert message in str(excinfo.value)


def test_messages_are_translated():
    helpers.set_language("zh")
    try:
        with pytest.raises(TypeError) as excinfo:
            helpers.justify(5, 3)
    finally:
        helpers.set_language("en")
    assert "text" in str(excinfo.value) and "must be a str" not in str(excinfo.value)
