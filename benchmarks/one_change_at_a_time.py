"""From d2l's recipe to the lesson's, one change at a time, each over several seeds.

    python benchmarks/one_change_at_a_time.py [--seeds 0 1 2] [--epochs 10] [--threads 1]
                                              [--only NAME ...] [--json FILE]

Trains the notes' LeNet (helpers.lenet("notes")) with lesson 05's own loop (helpers.train_epoch,
helpers.accuracy: the code the lesson writes out), on all of Fashion-MNIST, once per step below
and seed; each step adds one change to the one before it:

    d2l          raw pixels in [0, 1], plain SGD at learning rate 0.9, batch 256 (d2l's recipe)
    standardise  inputs standardised with the training set's mean and standard deviation
    one_cycle    the learning rate follows a one-cycle schedule with peak 0.9 (OneCycleLR)
    momentum     momentum 0.9, peak learning rate 1.0: the lesson's recipe (helpers.train's)
    default_init the lesson's recipe with PyTorch's default initialisation instead of Xavier's

The seed draws the initial weights and the shuffling. The script prints, per step, the test
accuracy after the last epoch for each seed, their mean and range, and the median seconds per
epoch; it writes all per-epoch accuracies to --json (default notebooks/results/one_change.json:
lesson data, which notebook 05 reads). --only runs some steps and merges them into the file.
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

DEFAULT_JSON = "notebooks/results/one_change.json"
# Each step: (what changes, inputs standardised, peak lr, momentum, one-cycle, Xavier init)
STEPS = {
    "d2l": ("d2l's recipe", False, 0.9, 0.0, False, True),
    "standardise": ("+ standardised inputs", True, 0.9, 0.0, False, True),
    "one_cycle": ("+ one-cycle schedule", True, 0.9, 0.0, True, True),
    "momentum": ("+ momentum 0.9, peak 1.0", True, 1.0, 0.9, True, True),
    "default_init": ("… with PyTorch's default init", True, 1.0, 0.9, True, False),
}
BATCH_SIZE = 256


def run(step, seed, epochs, data):
    """Train one network: per-epoch test accuracies and seconds."""
    _, standardised, lr, momentum, one_cycle, xavier = STEPS[step]
    prepare = helpers.standardize if standardised else (lambda images: images)
    train_x, test_x = prepare(data.train_images), prepare(data.test_images)
    torch.manual_seed(seed)
    net = helpers.lenet("notes")
    if not xavier:
        for layer in net.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    steps_per_epoch = -(-len(train_x) // BATCH_SIZE)
    scheduler = None
    if one_cycle:  # momentum stays constant, as in the lesson's recipe
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
            cycle_momentum=momentum > 0, base_momentum=momentum, max_momentum=momentum,
        )  # fmt: skip
    generator = torch.Generator().manual_seed(seed)
    accuracies, seconds = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        helpers.train_epoch(
            net, train_x, data.train_labels, optimizer, BATCH_SIZE, scheduler, generator
        )
        accuracies.append(round(helpers.accuracy(net, test_x, data.test_labels), 4))
        seconds.append(round(time.perf_counter() - start, 2))
    return dict(test_acc=accuracies, seconds=seconds)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--only", nargs="+", choices=list(STEPS), default=list(STEPS))
    parser.add_argument("--json", default=DEFAULT_JSON)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = helpers.load_fashion_mnist()
    path = Path(args.json)
    table = json.loads(path.read_text()) if path.exists() else dict(steps={})
    for step in args.only:
        runs = {str(seed): run(step, seed, args.epochs, data) for seed in args.seeds}
        finals = [r["test_acc"][-1] for r in runs.values()]
        epoch_s = statistics.median(s for r in runs.values() for s in r["seconds"])
        table["steps"][step] = dict(change=STEPS[step][0], runs=runs)
        print(
            f"{STEPS[step][0]:32s} final test accuracy {finals} mean {statistics.mean(finals):.4f}"
            f" range {max(finals) - min(finals):.4f}  median epoch {epoch_s:.1f} s",
            flush=True,
        )
        table["steps"] = {name: table["steps"][name] for name in STEPS if name in table["steps"]}
        table.update(
            command="python benchmarks/one_change_at_a_time.py " + " ".join(sys.argv[1:]),
            epochs=args.epochs,
            batch_size=BATCH_SIZE,
            machine=f"{platform.machine()}, {torch.get_num_threads()} torch threads, cpu",
            torch=torch.__version__,
        )
        partial = path.with_suffix(".json.partial")  # written whole, then renamed: never half
        partial.write_text(json.dumps(table, indent=1) + "\n")
        partial.replace(path)


if __name__ == "__main__":
    main()
