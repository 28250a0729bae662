"""Widget latency in a real browser: JupyterLab + headless Chromium, medians and p95.

    python benchmarks/widget_latency.py [--strokes 30] [--hovers 40] [--play-seconds 6]
                                        [--json benchmarks/widget_latency.json]

Starts JupyterLab on a temporary folder with one notebook (``EXPLORER_CELLS`` of the tests'
browser driver, tests/support/browser.py: a seed LeNet trained for one epoch on 20 000 images,
then ``LeNetExplorer``) plus the play widgets of lessons 01 and 04, opens it in Chromium
(1280×800) and acts as a learner would:

* strokes: draws --strokes strokes on the pad with the mouse. Latency: mouse released → the
  new probabilities and feature maps drawn (the view notes ``performance.now()`` at the release
  and again in the animation frame after it drew Python's answer, so the kernel round trip, the
  network and the drawing are all in it);
* hovers: moves the mouse onto --hovers different feature-map values. Latency: mouse moved →
  receptive field outlined (same clock, next animation frame);
* play: presses each lesson widget's play button and counts the window positions the page shows
  in --play-seconds seconds (distinct pictures), as positions per second.

Targets: stroke ≤ 100 ms, hover ≤ 50 ms (medians and 95th percentiles over ≥ 30
events), play ≥ 5 positions per second. Prints the figures and writes them to --json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

# the repository (helpers, convlab) and the tests' support code, which drives the browser
REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from support.browser import (  # noqa: E402
    EXPLORER_CELLS,
    STROKES,
    VIEWPORT,
    draw_stroke,
    explorer_latencies,
    headless_chromium,
    kernel_value,
    open_notebook,
    point_at,
    point_at_kernel_map,
    run_all_cells,
    running_jupyter_lab,
    write_notebook,
)

PLAY_CELLS = [
    "shape = helpers.ConvShapeExplorer(input_size=6, kernel_size=3, padding=1, stride=1)\nshape",
    "pooling = helpers.PoolingExplorer()\npooling",
    "editor = helpers.KernelEditor(data.test_images[:100], data.test_labels[:100], data.classes)\n"
    "editor",
]
PLAYERS = {"ConvShapeExplorer (01)": "shape", "PoolingExplorer (04)": "pool"}
DEFAULT_JSON = "benchmarks/widget_latency.json"


def summary(values):
    return dict(
        n=len(values),
        median_ms=round(statistics.median(values), 1),
        # the 95th percentile, linear between order statistics
        p95_ms=round(statistics.quantiles(values, n=20, method="inclusive")[18], 1),
        max_ms=round(max(values), 1),
    )


def hover_targets(layers, count):
    """``count`` different (layer, channel, row, col) values spread over every shown layer."""
    targets = []
    for i in range(count):
        layer = layers[i % len(layers)]
        step = i // len(layers)
        row = (3 * step + 1) % layer["height"]
        col = (5 * step + 2) % layer["width"]
        targets.append((i % len(layers), step % layer["channels"], row, col))
    return targets


def play_rate(page, css, seconds):
    """Press the play button of the widget whose CSS classes start with ``css`` and note when its
    picture changes, for ``seconds`` or until the play reaches the last position. Returns
    (pictures shown, positions per second between the first and the last new picture)."""
    page.locator(f".{css}-play").first.scroll_into_view_if_needed()
    picture = page.locator(f"img.{css}-drawing, img.{css}-output").first
    times = picture.evaluate(
        """(img, [css, seconds]) => new Promise((resolve) => {
            const times = [];
            const observer = new MutationObserver(() => times.push(performance.now()));
            observer.observe(img, {attributes: true, attributeFilter: ["src"]});
            setTimeout(() => { observer.disconnect(); resolve(times); }, seconds * 1000);
            document.querySelector(`.${css}-play button`).click();
        })""",
        [css, seconds],
    )
    rate = (len(times) - 1) / ((times[-1] - times[0]) / 1000) if len(times) > 1 else 0.0
    return len(times), rate


def inspector_hovers(page, count):
    """Point at ``count`` different pixels of the kernel editor's feature map; return the
    inspector's own latency records (ms: mouse moved → window and products drawn)."""
    inspector = page.locator(".kernel-inspector")
    inspector.evaluate("(element) => element.scrollIntoView({block: 'start'})")
    height, width = kernel_value(page, "list(editor.feature_map.shape)")
    for i in range(count):
        point_at_kernel_map(page, (3 * i + 1) % height, (7 * i + 2) % width)
    return inspector.evaluate("(root) => [...root.__latencies]")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--strokes", type=int, default=30)
    parser.add_argument("--hovers", type=int, default=40)
    parser.add_argument("--play-seconds", type=float, default=6.0)
    parser.add_argument("--json", default=DEFAULT_JSON)
    args = parser.parse_args()

    root, state = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    write_notebook(root / "latency.ipynb", EXPLORER_CELLS + PLAY_CELLS)
    load_before = os.getloadavg()
    with (
        running_jupyter_lab(root, state, state / "lab.log") as lab,
        headless_chromium() as browser,
    ):
        page = browser.new_context(viewport=VIEWPORT).new_page()
        open_notebook(page, lab, "latency.ipynb")
        errors = run_all_cells(page)
        if errors:
            raise SystemExit(f"the notebook raised: {errors}")
        draw_stroke(page, STROKES[0])  # the first answer also warms up the kernel's code paths
        warm = len(explorer_latencies(page)["stroke"])
        for i in range(args.strokes):
            draw_stroke(page, STROKES[i % len(STROKES)])
        layers = kernel_value(page, "explorer.view.layers")
        for target in hover_targets(layers, args.hovers):
            point_at(page, *target)
        latencies = explorer_latencies(page)
        kernel_hovers = inspector_hovers(page, args.hovers)
        plays = {name: play_rate(page, css, args.play_seconds) for name, css in PLAYERS.items()}
        browser.close()

    results = dict(
        command="python benchmarks/widget_latency.py "
        f"--strokes {args.strokes} --hovers {args.hovers} --play-seconds {args.play_seconds}",
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Chromium headless, "
        f"{VIEWPORT['width']}×{VIEWPORT['height']}",
        load_before=[round(x, 2) for x in load_before],
        load_after=[round(x, 2) for x in os.getloadavg()],
        stroke=summary(latencies["stroke"][warm:]),
        hover=summary(latencies["hover"]),
        kernel_hover=summary(kernel_hovers),
        play={
            name: dict(pictures=n, positions_per_s=round(rate, 1))
            for name, (n, rate) in plays.items()
        },
        targets=dict(stroke_ms=100, hover_ms=50, play_positions_per_s=5),
        measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    for kind, target in (("stroke", 100), ("hover", 50), ("kernel_hover", 50)):
        figures = results[kind]
        print(
            f"{kind:12s} n={figures['n']:3d}  median {figures['median_ms']:6.1f} ms  "
            f"p95 {figures['p95_ms']:6.1f} ms  max {figures['max_ms']:6.1f} ms  "
            f"(target ≤ {target} ms)"
        )
    for name, play in results["play"].items():
        print(
            f"play    {name}: {play['positions_per_s']:.1f} positions/s over {play['pictures']} "
            "pictures (target ≥ 5)"
        )
    print(f"load average {results['load_before']} before, {results['load_after']} after")
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
