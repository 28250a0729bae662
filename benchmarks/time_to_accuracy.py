"""Time to accuracy: how long until the notes' LeNet is good, in wall-clock seconds.

    python benchmarks/time_to_accuracy.py [--epochs 10] [--device auto|cpu|cuda|mps]
                                          [--threads N] [--runs d2l before notes fast]
                                          [--json FILE] [--plot FILE]

Trains the notes' LeNet (helpers.lenet("notes")) in one process on one device, one run after
the other:

    d2l     d2l's loop on the notes' network (torchvision dataset + ToTensor + DataLoader with 4
            workers, batch 256, plain SGD lr 0.9, Xavier init; ``d2l_train`` in benchmark.py),
            --epochs epochs;
    before  helpers.train with an earlier, slower recipe (EARLIER_RECIPE in benchmark.py: batch
            64, peak lr 0.15, momentum cycling 0.95 → 0.85 → 0.95, contiguous tensors), 10 epochs;
    notes   helpers.train with the lesson's recipe (its defaults, helpers.LESSON_RECIPE), 10 epochs;
    fast    helpers.train with FAST_RECIPE below, a one-epoch recipe built to get good fast.

Every run evaluates the whole test set after every epoch; its clock starts once the data set is
in memory and runs through training and evaluation. The script prints, per run, the seconds
until the test accuracy first reached (a) d2l's loop's final accuracy, measured in this
run, and (b) 0.88 and 0.90 ("not reached in N epochs" otherwise), the ratios to the d2l-style
loop, and the arithmetic rate: multiply-adds (MACs; one MAC = 2 FLOPs) counted from the layers,
per second, as a fraction of the device's peak (its derivation printed). It writes every run's
per-epoch history to --json (default notebooks/results/time_to_accuracy.json: lesson data, which
lesson 06 reads) and
a plot of test accuracy against wall time to --plot (default benchmarks/time_to_accuracy.png).

Nothing is read back from the device per batch; the figures need no GPU, and ``--device cuda``
keeps data, network and optimiser state on the GPU.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

# the repository's helpers and convlab, and benchmark.py beside this file
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from benchmark import EARLIER_RECIPE, d2l_train  # noqa: E402

import helpers  # noqa: E402
from convlab.data import find_or_fetch_root  # noqa: E402

# Built for getting good fast, not for the 10-epoch end point: the one-cycle schedule in one epoch.
FAST_RECIPE = dict(epochs=1, batch_size=128, lr=0.8, momentum=(0.9, 0.9), channels_last=True)
TARGETS = (0.88, 0.90)
# The labels lesson 06 prints and the plot's legend shows.
RUNS = {
    "d2l": "d2l's loop on the notes' network",
    "before": "an earlier, slower recipe (batch 64, peak lr 0.15)",
    "notes": "the lesson's recipe",
    "fast": "a one-epoch recipe",
}
WIDTH = max(map(len, RUNS.values()))
TRAIN_RECIPES = {"before": EARLIER_RECIPE, "notes": helpers.LESSON_RECIPE, "fast": FAST_RECIPE}
DEFAULT_JSON = "notebooks/results/time_to_accuracy.json"
DEFAULT_PLOT = "benchmarks/time_to_accuracy.png"


# ------------------------------------------------------------------------------------------------
# Counting the arithmetic
# ------------------------------------------------------------------------------------------------


def layer_macs(net, image_shape=(1, 1, 28, 28)):
    """Multiply-adds of one forward pass of one image, per convolution and linear layer.

    Convolution: c_out · (c_in / groups) · k_h · k_w · h_out · w_out; linear: in · out. Biases,
    activations, pooling and the loss are not counted (they add no multiply-adds worth naming).
    """
    rows, hooks = [], []

    def count(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            k_h, k_w = module.kernel_size
            c_in = module.in_channels // module.groups
            rows.append((module, output[0].numel() * c_in * k_h * k_w))
        elif isinstance(module, nn.Linear):
            rows.append((module, module.in_features * module.out_features))

    for module in net.modules():
        hooks.append(module.register_forward_hook(count))
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            net(torch.zeros(image_shape, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        net.train(was_training)
    return [macs for _, macs in rows]


def step_macs(per_layer):
    """MACs of one training example: forward, weight gradients, input gradients.

    The weight-gradient pass of a layer costs as many MACs as its forward pass, and so does its
    input-gradient pass, except for the first layer, whose input (the image) needs no gradient:
    3·forward − first layer (the usual rule of thumb is 3·forward).
    """
    forward = sum(per_layer)
    return 3 * forward - per_layer[0]


# ------------------------------------------------------------------------------------------------
# The machine's peak
# ------------------------------------------------------------------------------------------------


def _cpuinfo():
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return info


def cpu_peak():
    """Peak single-precision multiply-adds/s of this CPU, with the derivation spelled out.

    cores × FMA units per core × fp32 lanes per FMA unit × clock; one FMA is one multiply-add (two
    FLOPs). Read from /proc/cpuinfo. Two FMA units per core is an assumption that holds for the
    server cores of the last decade (Intel Skylake-SP and later with AVX-512 on two ports, AMD
    Zen 1–5); AMD Zen 4 (family 25 with AVX-512) runs 512-bit instructions on 256-bit units, so
    its lanes per unit are 8. The clock is /proc/cpuinfo's "cpu MHz", the nominal (in a virtual
    machine, the time-stamp counter's) frequency: boost clocks can exceed it, which the measured
    SGEMM rate (printed beside it) reveals.
    """
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    vendor, family = info.get("vendor_id", ""), int(info.get("cpu family", "0") or 0)
    if "avx512f" in flags and not (vendor == "AuthenticAMD" and family < 26):
        lanes, isa = 16, "AVX-512 (512-bit FMA units)"
    elif "avx512f" in flags:
        lanes, isa = 8, "AVX-512 on 256-bit FMA units (AMD Zen 4 runs 512-bit ops in two halves)"
    elif {"avx2", "fma"} <= flags:
        lanes, isa = 8, "AVX2 + FMA (256-bit)"
    else:
        lanes, isa = 4, "SSE (128-bit, no FMA assumed as FMA)"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    fma_units = 2
    clock_ghz = float(info.get("cpu MHz", "0") or 0) / 1000
    macs = cores * fma_units * lanes * clock_ghz * 1e9
    model = info.get("model name", platform.processor() or platform.machine())
    return dict(
        device="cpu",
        model=f"{model} ({vendor} family {family} model {info.get('model', '?')})",
        cores=cores,
        fma_units=fma_units,
        lanes=lanes,
        isa=isa,
        clock_ghz=round(clock_ghz, 3),
        peak_macs_per_s=macs,
        peak_macs_per_core=macs / max(cores, 1),
        derivation=(
            f"{cores} cores × {fma_units} FMA units × {lanes} fp32 lanes × {clock_ghz:.3f} GHz "
            f"= {macs / 1e9:.1f} G multiply-adds/s = {2 * macs / 1e9:.1f} GFLOP/s ({isa})"
        ),
    )


def device_peak(device):
    """The peak of ``device``'s kind: derived for a CPU; for others, named only (SGEMM measured)."""
    if device.type == "cpu":
        return cpu_peak()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return dict(
        device=device.type,
        model=name,
        peak_macs_per_s=None,
        derivation="not derived for this device: compare with the measured SGEMM rate",
    )


def sgemm_macs_per_s(device, n=1024, repeats=10):
    """Multiply-adds/s of an n×n×n single-precision matrix product on ``device`` (best of 3)."""
    a, b = (torch.randn(n, n, device=device) for _ in range(2))
    best = float("inf")
    for _ in range(4):  # the first round warms up
        synchronize(device)
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return repeats * n**3 / best


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


# ------------------------------------------------------------------------------------------------
# The runs
# ------------------------------------------------------------------------------------------------


def run_d2l(data, epochs, device, subset=None):
    root = find_or_fetch_root(None)  # the folder load_fashion_mnist read, for torchvision
    torch.manual_seed(0)
    net = helpers.lenet("notes")
    start = time.perf_counter()
    history = d2l_train(net, root, epochs, device, history=True, subset=subset)
    total = time.perf_counter() - start
    return net, dict(
        recipe=dict(epochs=epochs, batch_size=256, lr=0.9, optimizer="SGD", workers=4),
        epochs=epochs,
        test_acc=history["test_acc"],
        elapsed=history["elapsed"],
        epoch_seconds=_differences(history["elapsed"]),
        total_seconds=total,
    )


def run_train(data, recipe, device):
    torch.manual_seed(0)
    net = helpers.lenet("notes")
    start = time.perf_counter()
    history = helpers.train(net, data, device=device, progress=False, **recipe)
    total = time.perf_counter() - start
    # set-up (standardising, moving the data) counts towards the first epoch
    setup = total - sum(history["seconds"])
    elapsed, clock = [], setup
    for seconds in history["seconds"]:
        clock += seconds
        elapsed.append(clock)
    return net, dict(
        recipe={k: list(v) if isinstance(v, tuple) else v for k, v in recipe.items()},
        epochs=recipe["epochs"],
        test_acc=history["test_acc"],
        elapsed=elapsed,
        epoch_seconds=history["seconds"],
        total_seconds=total,
    )


def _differences(elapsed):
    return [b - a for a, b in zip([0.0] + elapsed[:-1], elapsed)]


def first_reached(run, target):
    """(seconds, epoch) at which the run's test accuracy first reached ``target``, or None."""
    for epoch, (accuracy, seconds) in enumerate(zip(run["test_acc"], run["elapsed"]), start=1):
        if accuracy >= target:
            return seconds, epoch
    return None


def _reached_text(run, target):
    hit = first_reached(run, target)
    if hit is None:
        return f"not reached in {run['epochs']} epoch{'s' * (run['epochs'] != 1)}"
    return f"{hit[0]:6.1f} s (epoch {hit[1]})"


# ------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------


def report(results):
    runs, d2l = results["runs"], results["runs"].get("d2l")
    targets = results["targets"]
    print(
        f"\nthe notes' LeNet, {results['train_size']} training / {results['test_size']} test "
        f"images, "
        f"device {results['device']}, {results['threads']} torch thread(s), "
        f"load average {results['load_before']} before, {results['load_after']} after"
    )
    header = (
        f"{'run':{WIDTH}s} {'epochs':>6s} {'final acc':>9s} {'total s':>8s} {'median epoch s':>14s}"
    )
    print(header)
    for name, run in runs.items():
        print(
            f"{RUNS[name]:{WIDTH}s} {run['epochs']:6d} {run['test_acc'][-1]:9.4f} "
            f"{run['total_seconds']:8.1f} {statistics.median(run['epoch_seconds']):14.2f}"
        )
    print("\nseconds until the test accuracy first reached …")
    names = [
        f"{t:.4f} (d2l, {d2l['epochs']} ep.)" if k == "d2l" else f"{t:.2f}" for k, t in targets
    ]
    print(f"{'run':{WIDTH}s} " + " ".join(f"{n:>26s}" for n in names))
    for name, run in runs.items():
        reached = " ".join(f"{_reached_text(run, t):>26s}" for _, t in targets)
        print(f"{RUNS[name]:{WIDTH}s} {reached}")
    for name, ratio in results["ratios"].items():
        print(f"  {RUNS[name]}: {ratio}")
    if "notes_vs_before" in results:
        speedup = results["notes_vs_before"]
        print(
            f"  lesson recipe vs earlier recipe: {speedup['total']:.2f}× faster over "
            f"{runs['notes']['epochs']} epochs ({speedup['median_epoch']:.2f}× per median epoch), "
            f"test accuracy {speedup['test_acc'][1]:.4f} vs {speedup['test_acc'][0]:.4f}"
        )
    peak = results["peak"]
    print(f"\npeak of this {peak['device']}: {peak['model']}\n  {peak['derivation']}")
    print(
        f"  measured SGEMM (1024³, {results['threads']} thread(s)): "
        f"{results['sgemm_macs_per_s'] / 1e9:.1f} G multiply-adds/s"
    )
    print(
        f"multiply-adds per image: forward {results['forward_macs']:,}, training step "
        f"{results['step_macs']:,} (3·forward − first layer; 1 MAC = 2 FLOPs)"
    )
    for name, run in runs.items():
        rate = run["macs_per_s"]
        line = f"  {RUNS[name]:{WIDTH}s} {rate / 1e9:6.2f} G MAC/s = {2 * rate / 1e9:6.2f} GFLOP/s"
        if peak.get("peak_macs_per_s"):
            line += (
                f" = {rate / peak['peak_macs_per_s']:6.1%} of the machine's peak, "
                f"{rate / (peak['peak_macs_per_core'] * results['threads']):6.1%} of the peak "
                f"of the {results['threads']} core(s) used"
            )
        line += f", {rate / results['sgemm_macs_per_s']:6.1%} of the measured SGEMM rate"
        print(line)


def ratios(runs, targets):
    """Per run: how many times sooner than d2l's loop it reached each target."""
    d2l = runs.get("d2l")
    out = {}
    for name, run in runs.items():
        if name == "d2l" or d2l is None:
            continue
        parts = []
        for key, target in targets:
            mine, theirs = first_reached(run, target), first_reached(d2l, target)
            label = "d2l's final accuracy" if key == "d2l" else f"{target:.2f}"
            if mine and theirs:
                parts.append(f"{theirs[0] / mine[0]:.1f}× sooner to {label}")
            elif mine:
                parts.append(f"{label} in {mine[0]:.1f} s, never by d2l's loop")
        out[name] = "; ".join(parts) if parts else "no target reached"
    return out


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    from convlab.plotting import plot_time_to_accuracy

    plot_time_to_accuracy(results).savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs of d2l's loop")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--json", default=DEFAULT_JSON, help="where the histories go")
    parser.add_argument("--plot", default=DEFAULT_PLOT, help="where the plot goes ('' for none)")
    parser.add_argument(
        "--subset", type=int, help="use only the first N images of each split (a smoke test)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = helpers.pick_device() if args.device == "auto" else torch.device(args.device)
    data = helpers.load_fashion_mnist()
    if args.subset:  # a smoke test: the first N images of each split
        data = helpers.FashionMNIST(*(x[: args.subset] for x in data[:4]), *data[4:])
    load_before = [round(x, 2) for x in os.getloadavg()]

    runs = {}
    for name in args.runs:
        print(f"training: {RUNS[name]} …", flush=True)
        if name == "d2l":
            net, run = run_d2l(data, args.epochs, device, args.subset)
        else:
            net, run = run_train(data, TRAIN_RECIPES[name], device)
        runs[name] = {"label": RUNS[name], **run}
        print(f"  test accuracy per epoch {[round(a, 4) for a in run['test_acc']]}", flush=True)

    per_layer = layer_macs(net)
    forward, step = sum(per_layer), step_macs(per_layer)
    n_train, n_test = len(data.train_images), len(data.test_images)
    for run in runs.values():
        run["macs"] = run["epochs"] * (n_train * step + n_test * forward)
        run["macs_per_s"] = run["macs"] / run["total_seconds"]
    targets = ([("d2l", runs["d2l"]["test_acc"][-1])] if "d2l" in runs else []) + [
        (f"{t:.2f}", t) for t in TARGETS
    ]
    results = dict(
        command="python benchmarks/time_to_accuracy.py " + " ".join(a for a in sys.argv[1:] if a),
        device=str(device),
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        machine=platform.machine(),
        load_before=load_before,
        load_after=[round(x, 2) for x in os.getloadavg()],
        train_size=n_train,
        test_size=n_test,
        forward_macs=forward,
        step_macs=step,
        layer_macs=per_layer,
        peak=device_peak(device),
        sgemm_macs_per_s=sgemm_macs_per_s(device),
        targets=targets,
        runs=runs,
    )
    results["time_to"] = {
        name: {key: first_reached(run, target) for key, target in targets}
        for name, run in runs.items()
    }
    results["ratios"] = ratios(runs, targets)
    if {"before", "notes"} <= set(runs):
        before, notes = runs["before"], runs["notes"]
        results["notes_vs_before"] = dict(
            total=before["total_seconds"] / notes["total_seconds"],
            median_epoch=statistics.median(before["epoch_seconds"])
            / statistics.median(notes["epoch_seconds"]),
            test_acc=(before["test_acc"][-1], notes["test_acc"][-1]),
        )
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
