"""What a grading kernel's start costs: without a sandbox, launched in bubblewrap, forked into it.

    .venv/bin/python benchmarks/sandbox_start.py --starts 10

Each start is a fresh grading workspace (classroom.workspace) and kernel manager
(classroom.sandbox), timed from launch until the kernel answers a cell that imports torch and
helpers, as a lesson's first cell does; the kernel is then shut down. "plain": no sandbox;
"bwrap": launched in bubblewrap; "forked": forked into the same sandbox by the fork server
(classroom.forkserver; root only), whose own start, once per grading process, is timed apart.
The kinds take turns, so a busy machine slows all alike. Prints the median and 95th percentile of
each, in seconds.
"""

import argparse
import asyncio
import statistics
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classroom import forkserver  # noqa: E402
from classroom.sandbox import Sandbox, kernel_manager  # noqa: E402
from classroom.workspace import workspace  # noqa: E402

FIRST_CELL = "import torch\nimport helpers"


KINDS = {"plain": None, "bwrap": False, "forked": True}  # kind → Sandbox.forked (None: none)


async def one_start(forked):
    """Seconds from launching a kernel to its answer to FIRST_CELL; ``forked``: KINDS' values."""
    sandboxed = forked is not None
    with workspace("en", sandboxed) as (cwd, env):
        manager = kernel_manager(Sandbox(cwd.parent, forked=forked) if sandboxed else None)
        start = perf_counter()
        await manager.start_kernel(env=env, cwd=str(cwd))
        client = manager.client()
        client.start_channels()
        try:
            # Its output is heard only once it answers: else a fast kernel's output can be lost.
            await client.wait_for_ready(timeout=120)
            reply = await client.execute_interactive(FIRST_CELL, timeout=120)
            seconds = perf_counter() - start
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the first cell failed: {reply['content']}")
    return seconds


def percentile(values, fraction):
    """The ``fraction`` quantile of ``values``, by linear interpolation."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10, help="starts of each kind (default 10)")
    args = parser.parse_args(argv)
    start = perf_counter()
    forkserver.shared()
    print(f"the fork server's start: {perf_counter() - start:.2f} s (once per grading process)")
    times = {kind: [] for kind in KINDS}
    for _ in range(args.starts):
        for kind, forked in KINDS.items():
            times[kind].append(asyncio.run(one_start(forked)))
    for kind, values in times.items():
        print(
            f"{kind}: median {statistics.median(values):.2f} s, "
            f"p95 {percentile(values, 0.95):.2f} s over {len(values)} starts"
        )


if __name__ == "__main__":
    main()
