"""How long lesson 02's kernel editor takes to redraw, in the kernel: medians and p95.

    python benchmarks/kernel_editor_redraw.py [--repeats 40] [--json FILE]

Builds ``helpers.KernelEditor`` on the Fashion-MNIST test images, as lesson 02 does, without a
browser: setting a control runs the same observers as a learner's click, which recompute the
feature map and encode the panels' PNG. Times three events, --repeats each, one after the other in
one process: a new image (the image index), a new preset kernel, and a new value typed into one
kernel cell. The browser's own drawing of the PNG is not in these figures (widget_latency.py
measures events in the page). Prints median and 95th percentile per event and writes them to --json
(default benchmarks/kernel_editor_redraw.json).
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's helpers

import helpers  # noqa: E402

DEFAULT_JSON = "benchmarks/kernel_editor_redraw.json"
PRESETS = ["Sobel y", "Sobel x"]  # alternated, so every setting is a change


def timed_ms(action):
    start = time.perf_counter()
    action()
    return 1000 * (time.perf_counter() - start)


def events(editor, repeats):
    """The three kinds of change, each a list of ``repeats`` zero-argument actions."""
    cell = editor._all_cells()[0]  # the kernel's top-left entry
    return {
        "image": [lambda i=i: setattr(editor.image_index, "value", i + 1) for i in range(repeats)],
        "preset": [
            lambda i=i: setattr(editor.preset, "value", PRESETS[i % 2]) for i in range(repeats)
        ],
        "cell": [lambda i=i: setattr(cell, "value", float(i % 5) - 2.5) for i in range(repeats)],
    }


def summary(times):
    p95 = statistics.quantiles(times, n=20)[-1]
    return dict(n=len(times), median_ms=round(statistics.median(times), 1), p95_ms=round(p95, 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=40, help="events of each kind")
    parser.add_argument("--json", default=DEFAULT_JSON, help="where to write the figures")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = helpers.load_fashion_mnist()
    editor = helpers.KernelEditor(
        images=data.test_images, labels=data.test_labels, classes=data.classes
    )
    results = {}
    for kind, actions in events(editor, args.repeats).items():
        figures = results[kind] = summary([timed_ms(action) for action in actions])
        print(
            f"{kind:7s} median {figures['median_ms']:6.1f} ms  p95 {figures['p95_ms']:6.1f} ms  "
            f"({figures['n']} events)",
            flush=True,
        )
    record = dict(
        results=results,
        command=f"python benchmarks/kernel_editor_redraw.py --repeats {args.repeats}",
        machine=f"{platform.machine()}, 1 torch thread",
        torch=torch.__version__,
    )
    path = Path(args.json)
    partial = path.with_suffix(".json.partial")  # written whole, then renamed: never half
    partial.write_text(json.dumps(record, indent=2) + "\n")
    partial.replace(path)


if __name__ == "__main__":
    main()
