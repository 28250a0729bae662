"""What every widget of the series shares, written once.

A widget is a model plus a view, as in the ipywidgets documentation: the model is the state the
widget computes (traitlets, so tests and other code can read and observe it without a browser); the
view is a tree of ipywidgets in ``self.ui``, which Jupyter shows when the object is a cell's value.
"""

from contextlib import contextmanager

import ipywidgets as widgets
import traitlets

from convlab.plotting import figure_png

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
    """

    message = traitlets.Unicode("")

    def __init__(self, css_prefix):
        super().__init__()
        self.message_html = widgets.HTML()
        self.message_html.add_class(f"{css_prefix}-message")
        self._quiet = False

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)

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
