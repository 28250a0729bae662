"""What every widget of the series shares, written once.

A widget is a model plus a view, as in the ipywidgets documentation: the model is the state the
widget computes (traitlets, so tests and other code can read and observe it without a browser); the
view is a tree of ipywidgets in ``self.ui``, which Jupyter shows when the object is a cell's value.
"""

import base64
from contextlib import contextmanager

import ipywidgets as widgets
import traitlets

from convlab.plotting import figure_png
from convlab.widgets.still import card

# The play button's step in ms: 6 positions a second, while a redraw takes well under this.
PLAY_INTERVAL_MS = 160


def int_control(kind, description, value, bounds, css_class, label_width, width=None, **options):
    """A bounded int control (``kind``: IntSlider, BoundedIntText) tagged with a CSS class, by
    which the browser test finds it. Always both bounds: a control without them clamps silently."""
    low, high = bounds
    control = kind(
        value=value,
        min=low,
        max=high,
        description=description,
        style={"description_width": label_width},
        **({"layout": widgets.Layout(width=width)} if width else {}),
        **options,
    )
    control.add_class(css_class)
    return control


def linked_play(slider, css_class, margin_left):
    """A Play button (ipywidgets.Play) that steps ``slider`` through its values, and its link.

    The link is made in the browser (``jslink``): the animation runs there and Python redraws for
    every value it receives. Keep the Play's ``max`` equal to the slider's. Returns (play, link).
    """
    play = widgets.Play(
        value=slider.value,
        min=slider.min,
        max=slider.max,
        interval=PLAY_INTERVAL_MS,
        show_repeat=False,
        description="play",
        layout=widgets.Layout(margin=f"2px 0 6px {margin_left}"),
    )
    play.add_class(css_class)
    return play, widgets.jslink((play, "value"), (slider, "value"))


def png_width(png):
    """Width in pixels stored in a PNG's header."""
    return int.from_bytes(png[16:20], "big")


class LessonWidget(traitlets.HasTraits):
    """Base of the series' widgets: display, an error message, a re-entrancy guard, pictures.

    Subclasses build their controls, put the view in ``self.ui`` (with ``self.message_html`` where
    the message belongs), and observe their controls. ``message`` is the reason the current setting
    is invalid ("" when it is valid); setting it updates the red line in the view.

    Shown as a cell's value, a widget's output holds the live view and, for readers without a
    kernel, a still picture of its state then and a one-line description (``_repr_mimebundle_``).
    Subclasses name themselves in ``NAME``, say in ``LIVE`` what only the live widget does, and
    say what the reader needs: ``state_line()`` (the description), ``picture_lines()`` (written
    above the picture) and ``main_picture()`` (PNG bytes or a PIL image of what the widget draws).
    """

    NAME = "Lesson widget"
    LIVE = ""  # what a reader can do only with the live widget, said under the still picture
    message = traitlets.Unicode("")

    def __init__(self, css_prefix):
        super().__init__()
        self.message_html = widgets.HTML()
        self.message_html.add_class(f"{css_prefix}-message")
        self._quiet = False

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """(data, metadata) of the widget's display: the ipywidgets bundle, from which JupyterLab
        draws the live widget, with a picture of the widget's current state (``image/png``, with
        its alt text in the metadata) and a one-line ``text/plain`` description in place of the
        ``HBox(children=…)`` repr: what GitHub, nbviewer and nbconvert's HTML show, and JupyterLab
        for a notebook it does not trust. The picture is drawn once per display."""
        data = self.ui._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        data["text/plain"] = self.text_summary()
        metadata = {}
        if (include is None or "image/png" in include) and "image/png" not in (exclude or ()):
            data["image/png"] = base64.b64encode(self.still_png()).decode("ascii")
            metadata["image/png"] = {"alt": f"{self.NAME} as it was shown: {self.state_line()}."}
        return data, metadata

    def text_summary(self):
        """'Pooling explorer: 2×2 max pooling, … (run the lesson in JupyterLab to use it)'."""
        return f"{self.NAME}: {self.state_line()} (run the lesson in JupyterLab to use it)"

    def still_png(self):
        """PNG bytes: the widget's name, ``picture_lines()`` and ``main_picture()`` in a frame."""
        note = "A still picture of this widget as it was shown: run the lesson in JupyterLab to "
        note += f"use it ({self.LIVE})." if self.LIVE else "use it."
        return card(self.NAME, self.picture_lines(), self.main_picture(), note)

    def state_line(self):
        """The widget's setting and result in a few words, e.g. 'input 5×5, kernel 3×3, padding 0,
        stride 1 → output 3×3'."""
        raise NotImplementedError

    def picture_lines(self):
        """The settings and numbers a reader of the still picture needs, written above the main
        picture: one string per line, or a (style, text) pair ("mono" for a row of a table,
        "error" for the red message; an empty text is left out)."""
        raise NotImplementedError

    def main_picture(self):
        """What the widget draws now: PNG bytes or a PIL image."""
        raise NotImplementedError

    @traitlets.observe("message")
    def _show_message(self, change):
        text = change["new"]
        self.message_html.value = f"<span style='color:#b00'>{text}</span>" if text else ""

    @contextmanager
    def quietly(self):
        """Set controls inside this block without their callbacks reacting (they check ``busy``)."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    @property
    def busy(self):
        """True while the widget itself sets its controls: observers return at once."""
        return self._quiet

    def show_png(self, image, png, cap_width=False):
        """Show PNG bytes in an ``ipywidgets.Image``; ``cap_width`` never enlarges the picture."""
        if cap_width:
            image.layout.max_width = f"{png_width(png)}px"
        image.value = png
        return png

    def show_figure(self, image, fig, cap_width=False):
        """Render a matplotlib figure into an ``ipywidgets.Image``, close it, return the PNG."""
        return self.show_png(image, figure_png(fig), cap_width)
