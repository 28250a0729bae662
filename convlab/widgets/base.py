"""What every widget of the series shares, written once.

A widget is a model plus a view, as in the ipywidgets documentation: the model is the state the
widget computes (traitlets, so tests and other code can read and observe it without a browser); the
view is a tree of ipywidgets in ``self.ui``, which Jupyter shows when the object is a cell's value.
"""

import base64
import html
import re
from contextlib import contextmanager

import anywidget
import ipywidgets as widgets
import traitlets

from convlab.language import N_, _
from convlab.widgets.still import card

# The play button's step in ms: 6 positions a second, while a redraw takes well under this.
PLAY_INTERVAL_MS = 160


class PictureWithAlt(anywidget.AnyWidget):
    """A PNG picture with alt text (``ipywidgets.Image`` has none): ``value`` (PNG bytes) and
    ``alt`` arrive in one message when set inside ``hold_sync``; the view shows an ``img``."""

    _esm = """
    function render({ model, el }) {
      const img = document.createElement("img");
      el.appendChild(img);
      let url = null;
      const update = () => {
        if (url) URL.revokeObjectURL(url);
        const value = model.get("value");
        const bytes = value instanceof ArrayBuffer ? value : value.buffer.slice(
          value.byteOffset, value.byteOffset + value.byteLength);
        url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
        img.src = url;
        img.alt = model.get("alt");
      };
      model.on("change:value", update);
      model.on("change:alt", update);
      update();
      return () => { if (url) URL.revokeObjectURL(url); };
    }
    export default { render };
    """
    value = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)


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


# Every word of the player a learner sees or hears, in one place (the widget fills in "keys");
# ``player_texts`` translates them when a player is made.
PLAYER_TEXTS = {
    "play": N_("Play"),
    "pause": N_("Pause"),
    "stop": N_("Stop"),
    "icons": {"play": "▶", "pause": "❚❚", "stop": "■"},  # shown before the words, not read out
    "play_name": N_("Play: step the window through every position"),
    "pause_name": N_("Pause the window"),
    "stop_name": N_("Stop: back to the first window"),
    "keys": "",
}
ANNOUNCE_EVERY_MS = 1500  # while playing, the live region speaks at most this often


def player_texts(keys=""):
    """PLAYER_TEXTS in the current language, with the widget's "Keys: …" line (an English id)."""
    words = {name: _(text) for name, text in PLAYER_TEXTS.items() if isinstance(text, str)}
    return {**PLAYER_TEXTS, **words, "keys": _(keys) if keys else ""}


class Player(anywidget.AnyWidget):
    """Named Play/Pause and Stop buttons (native ``button`` elements, so Enter and Space press
    them) that step ``value`` from ``min`` to ``max``, one step every ``interval`` ms, and stop
    at the end; Stop goes back to ``min``. Under them, the widget's "Keys: …" line
    (``texts["keys"]``) and a polite live region (``role="status"``) that says ``announcement``:
    at once after an action, at most every ``ANNOUNCE_EVERY_MS`` ms while playing, and once more
    when the play stops. Drop-in for the ``value/min/max/interval/disabled`` of
    ``ipywidgets.Play``, whose buttons have no accessible names.

    ipywidgets 8 ties a slider's ``description`` (``<label for>``) to a hidden input, not to the
    handle a keyboard moves (noUiSlider's ``role="slider"``), which so has no name (axe's
    ``aria-input-field-name``): the player gives each slider handle of its widget its label."""

    _esm = """
    function render({ model, el }) {
      const texts = model.get("texts");
      const make = (tag, cls, parent) => {
        const node = document.createElement(tag);
        node.className = cls;
        parent.appendChild(node);
        return node;
      };
      const buttons = make("div", "lesson-player-buttons", el);
      const play = make("button", "lesson-player-play", buttons);
      const stop = make("button", "lesson-player-stop", buttons);
      play.type = stop.type = "button";
      const write = (button, key) => {
        const icon = document.createElement("span");
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = texts.icons[key] + " ";
        button.replaceChildren(icon, texts[key]);
      };
      write(stop, "stop");
      stop.setAttribute("aria-label", texts.stop_name);
      if (texts.keys) make("div", "lesson-player-keys", el).textContent = texts.keys;
      const live = make("div", "lesson-player-live", el);
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      let timer = null;
      let pending = null;
      let spoken = 0;
      const speak = () => {
        clearTimeout(pending);
        pending = null;
        spoken = Date.now();
        live.textContent = model.get("announcement");
      };
      const show = () => {
        const playing = timer !== null;
        write(play, playing ? "pause" : "play");
        play.setAttribute("aria-label", playing ? texts.pause_name : texts.play_name);
        play.disabled = stop.disabled = model.get("disabled");
        el.dataset.playing = playing ? "1" : "0";
      };
      const halt = () => {
        clearInterval(timer);
        timer = null;
        show();
        speak();
      };
      const go = (value) => {
        model.set("value", value);
        model.save_changes();
      };
      const step = () => {
        if (model.get("value") >= model.get("max")) halt();
        else go(model.get("value") + 1);
      };
      play.addEventListener("click", () => {
        if (timer !== null) return halt();
        if (model.get("value") >= model.get("max")) go(model.get("min"));
        timer = setInterval(step, model.get("interval"));
        show();
      });
      stop.addEventListener("click", () => {
        clearInterval(timer);
        timer = null;
        go(model.get("min"));
        show();
      });
      model.on("change:announcement", () => {
        if (timer === null) speak();
        else if (pending === null) {
          const wait = spoken + model.get("announce_every") - Date.now();
          pending = setTimeout(speak, Math.max(0, wait));
        }
      });
      model.on("change:disabled", () => (timer !== null ? halt() : show()));
      show();
      // The sliders of the player's widget: their handles take their label's text as name.
      // render() runs before the view is put into its box: wait until it is there.
      const nameHandles = (root) => {
        for (const slider of root.querySelectorAll(".widget-slider")) {
          const label = slider.querySelector(".widget-label")?.textContent;
          for (const handle of slider.querySelectorAll(".noUi-handle")) {
            if (label && handle.getAttribute("aria-label") !== label) {
              handle.setAttribute("aria-label", label);
            }
          }
        }
      };
      let watcher = null;
      let waiting = null;
      const attach = (tries) => {
        let root = el.closest(".widget-box");
        if (!root) {
          if (tries > 0) waiting = setTimeout(() => attach(tries - 1), 100);
          return;
        }
        while (root.parentElement?.closest(".widget-box")) {
          root = root.parentElement.closest(".widget-box");
        }
        nameHandles(root);
        watcher = new MutationObserver(() => nameHandles(root));
        watcher.observe(root, { childList: true, subtree: true });
      };
      attach(100);
      return () => {
        clearInterval(timer);
        clearTimeout(pending);
        clearTimeout(waiting);
        watcher?.disconnect();
      };
    }
    export default { render };
    """
    _css = """
    .lesson-player-buttons { display: flex; gap: 6px; }
    .lesson-player button { font: inherit; min-width: 64px; padding: 2px 10px; cursor: pointer;
      border: 1px solid #767676; border-radius: 3px; background: #f4f4f4; color: #111; }
    .lesson-player button:disabled { color: #6b6b6b; cursor: default; }
    .lesson-player button:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
    .lesson-player-keys { font-size: 12px; color: #333; margin-top: 4px; }
    .lesson-player-live { position: absolute; width: 1px; height: 1px; overflow: hidden;
      clip-path: inset(50%); white-space: nowrap; }
    """
    value = traitlets.Int(0).tag(sync=True)
    min = traitlets.Int(0).tag(sync=True)
    max = traitlets.Int(0).tag(sync=True)
    interval = traitlets.Int(PLAY_INTERVAL_MS).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    announcement = traitlets.Unicode("").tag(sync=True)
    announce_every = traitlets.Int(ANNOUNCE_EVERY_MS).tag(sync=True)
    texts = traitlets.Dict().tag(sync=True)

    @traitlets.default("texts")
    def _texts_in_the_current_language(self):
        return player_texts()


def linked_play(slider, css_class, margin_left, keys=""):
    """A ``Player`` that steps ``slider`` through its values, and its link; ``keys`` is the
    widget's "Keys: …" line (its English message id), shown under the buttons.

    The link is made in the browser (``jslink``): the animation runs there and Python redraws for
    every value it receives. Keep the player's ``max`` equal to the slider's. Returns (play, link).
    """
    play = Player(
        value=slider.value,
        min=slider.min,
        max=slider.max,
        texts=player_texts(keys),
        layout=widgets.Layout(margin=f"2px 0 6px {margin_left}"),
    )
    play.add_class("lesson-player")
    play.add_class(css_class)
    return play, widgets.jslink((play, "value"), (slider, "value"))


# Pictures drawn into a ``PictureWithAlt`` never grow past their natural size, and shrink with
# the notebook (a style element shown with the widget, as ipywidgets has no per-widget CSS).
PICTURE_FITS = """<style>
.lesson-picture img { display: block; max-width: 100%; height: auto; }
</style>"""


def png_width(png):
    """Width in pixels stored in a PNG's header."""
    return int.from_bytes(png[16:20], "big")


def _unbroken_brackets(text):
    """``text`` with no-break spaces inside (…) and […]: a message may wrap between its words,
    never inside a shape such as '(6, 8)' or an index such as 'Y[0, 1]'."""
    return re.sub(r"[([][^()[\]]*[)\]]", lambda m: m.group().replace(" ", "\u00a0"), text)


class LessonWidget(traitlets.HasTraits):
    """Base of the series' widgets: display, an error message, a re-entrancy guard, pictures.

    Subclasses build their controls, put the view in ``self.ui`` (with ``self.message_html`` where
    the message belongs), and observe their controls. ``message`` is the reason the current setting
    is invalid ("" when it is valid); setting it updates the red line in the view.

    Shown as a cell's value, a widget's output holds the live view and, for readers without a
    kernel, a still picture of its state then and a one-line description (``_repr_mimebundle_``).
    Subclasses name themselves in ``NAME``, say in ``LIVE`` what only the live widget does (both
    English message ids marked with ``N_``, shown translated), and
    say what the reader needs: ``state_line()`` (the description), ``picture_lines()`` (written
    above the picture) and ``main_picture()`` (PNG bytes or a PIL image of what the widget draws).
    """

    NAME = N_("Lesson widget")
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
            alt = _("{name} as it was shown: {state}.")
            metadata["image/png"] = {"alt": alt.format(name=_(self.NAME), state=self.state_line())}
        return data, metadata

    def text_summary(self):
        """'Pooling explorer: 2×2 max pooling, … (run the lesson in JupyterLab to use it)'."""
        summary = _("{name}: {state} (run the lesson in JupyterLab to use it)")
        return summary.format(name=_(self.NAME), state=self.state_line())

    def still_png(self):
        """PNG bytes: the widget's name, ``picture_lines()`` and ``main_picture()`` in a frame."""
        if self.LIVE:
            note = _(
                "A still picture of this widget as it was shown: run the lesson in JupyterLab to "
                "use it ({live})."
            ).format(live=_(self.LIVE))
        else:
            note = _(
                "A still picture of this widget as it was shown: run the lesson in JupyterLab to "
                "use it."
            )
        return card(_(self.NAME), self.picture_lines(), self.main_picture(), note)

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
        text = html.escape(_unbroken_brackets(change["new"]))
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
        """Show PNG bytes in a picture widget; ``cap_width`` never enlarges the picture."""
        if cap_width:
            image.layout.max_width = f"{png_width(png)}px"
        image.value = png
        return png
