"""From d2l's recipe to the lesson's, one change at a time, each over several seeds.

    python benchmarks/one_change_at_a_time.py [--seeds 0 1 2] [--epochs 10] [--threads 1]
                                              [--only NAME ...] [--json FILE]

Trains a LeNet with lesson 05's own loop (helpers.train_epoch, helpers.accuracy: the code the
lesson writes out), on all of Fashion-MNIST, once per step below and seed. The main line adds one
change per step to the step before; the other steps change one thing of the lesson's recipe:

    d2l_lenet5    d2l's LeNet (helpers.lenet("lenet5")) with d2l's recipe and initialisation: the
                  one d2l baseline (d2l's train_ch6: raw pixels in [0, 1], plain SGD at learning
                  rate 0.9, batch 256, xavier_uniform_ weights, PyTorch's default biases)
    d2l           the notes' network (helpers.lenet("notes")) with d2l's recipe
    standardise   + inputs standardised with the training set's mean and standard deviation
    one_cycle     + the learning rate follows a one-cycle schedule with peak 0.9 (OneCycleLR)
    momentum      + momentum 0.9, peak learning rate 1.0: the lesson's recipe (helpers.train's)
    default_init  the lesson's recipe with PyTorch's default initialisation instead of Xavier's
    batch_64      the lesson's recipe with batches of 64 instead of 256
    channels_last the lesson's recipe with the network's weights stored channels-last (NHWC):
                  the same arithmetic in another memory layout, a change of speed

Every step except d2l_lenet5 trains the notes' network; all but d2l_lenet5 start from its Xavier
weights with zero biases (helpers.lenet) unless the step says otherwise. The seed draws the
initial weights and the shuffling. Runs are interleaved (for each seed, one epoch of every
step in turn), so that steps compared for speed share the machine's load. The script prints, per
step, the test accuracy after the last epoch for each seed, their mean and range, and the median
seconds per epoch; it writes all per-epoch accuracies and seconds to --json (default
notebooks/results/one_change.json: lesson data, which notebook 05 reads). --only runs some steps
and merges them into the file.
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's helpers

import helpers  # noqa: E402

DEFAULT_JSON = "notebooks/results/one_change.json"
# d2l's recipe; each step lists what it changes
D2L = dict(network="notes", standardise=False, lr=0.9, momentum=0.0, one_cycle=False,
           batch_size=256, init="xavier", channels_last=False)  # fmt: skip
LESSON = dict(D2L, standardise=True, lr=1.0, momentum=0.9, one_cycle=True)
STEPS = {
    "d2l_lenet5": ("d2l's LeNet with d2l's recipe", dict(D2L, network="lenet5", init="d2l")),
    "d2l": ("the notes' network with d2l's recipe", D2L),
    "standardise": ("+ standardised inputs", dict(D2L, standardise=True)),
    "one_cycle": ("+ one-cycle schedule", dict(D2L, standardise=True, one_cycle=True)),
    "momentum": ("+ momentum 0.9, peak 1.0", LESSON),
    "default_init": ("… with PyTorch's default init", dict(LESSON, init="default")),
    "batch_64": ("… with batches of 64", dict(LESSON, batch_size=64)),
    "channels_last": ("… with channels-last weights", dict(LESSON, channels_last=True)),
}


def initialise(net, init):
    """Initialise ``net`` as ``init`` says: "xavier", helpers.lenet's own (Xavier weights, zero
    biases); "default", PyTorch's; "d2l", d2l's train_ch6 (xavier_uniform_ weights over PyTorch's
    default biases)."""
    if init in ("default", "d2l"):
        for layer in net.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
    if init == "d2l":
        for layer in net.modules():
            if isinstance(layer, (nn.Linear, nn.Conv2d)):
                nn.init.xavier_uniform_(layer.weight)
    return net


def run(step, seed, epochs, data):
    """Train one network, one epoch per ``next``: yields (test accuracy, seconds) per epoch."""
    settings = STEPS[step][1]
    prepare = helpers.standardize if settings["standardise"] else (lambda images: images)
    train_x, test_x = prepare(data.train_images), prepare(data.test_images)
    torch.manual_seed(seed)
    net = initialise(helpers.lenet(settings["network"]), settings["init"])
    if settings["channels_last"]:  # the images have one channel: both layouts at once
        net = net.to(memory_format=torch.channels_last)
    lr, momentum, batch_size = settings["lr"], settings["momentum"], settings["batch_size"]
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    steps_per_epoch = -(-len(train_x) // batch_size)
    scheduler = None
    if settings["one_cycle"]:  # momentum stays constant, as in the lesson's recipe
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
            cycle_momentum=momentum > 0, base_momentum=momentum, max_momentum=momentum,
        )  # fmt: skip
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        start = time.perf_counter()
        helpers.train_epoch(
            net, train_x, data.train_labels, optimizer, batch_size, scheduler, generator
        )
        accuracy = round(helpers.accuracy(net, test_x, data.test_labels), 4)
        yield accuracy, round(time.perf_counter() - start, 2)


def summary(step, runs):
    finals = [r["test_acc"][-1] for r in runs.values()]
    epoch_s = statistics.median(s for r in runs.values() for s in r["seconds"])
    return (
        f"{STEPS[step][0]:40s} final test accuracy {finals} mean {statistics.mean(finals):.4f}"
        f" range {max(finals) - min(finals):.4f}  median epoch {epoch_s:.2f} s"
    )


def write(path, table):
    partial = path.with_suffix(".json.partial")  # written whole, then renamed: never half
    partial.write_text(json.dumps(table, indent=1) + "\n")
    partial.replace(path)


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
    old = json.loads(path.read_text()) if path.exists() else dict(steps={})
    runs = {step: {} for step in args.only}
    for seed in args.seeds:
        # interleaved epoch by epoch, so that the steps compared share the machine's load
        epochs = {step: run(step, seed, args.epochs, data) for step in args.only}
        for step in args.only:
            runs[step][str(seed)] = dict(test_acc=[], seconds=[])
        for epoch in range(1, args.epochs + 1):
            for step, trainer in epochs.items():
                accuracy, seconds = next(trainer)
                runs[step][str(seed)]["test_acc"].append(accuracy)
                runs[step][str(seed)]["seconds"].append(seconds)
                print(f"seed {seed} epoch {epoch} {step}: {accuracy} {seconds} s", flush=True)
    table = dict(steps=dict(old["steps"]))
    for name, record in table["steps"].items():  # records of earlier runs: the names of today
        record.update(change=STEPS[name][0], settings=STEPS[name][1])
        for key in ("command", "machine", "torch", "date", "epochs"):  # once for the whole file
            record.setdefault(key, old.get(key))
    for step in args.only:
        table["steps"][step] = dict(
            change=STEPS[step][0],
            settings=STEPS[step][1],
            command="python benchmarks/one_change_at_a_time.py " + " ".join(sys.argv[1:]),
            machine=f"{platform.machine()}, {torch.get_num_threads()} torch threads, cpu",
            torch=torch.__version__,
            date=time.strftime("%Y-%m-%d"),
            epochs=args.epochs,
            runs=runs[step],
        )
        print(summary(step, runs[step]))
    table["steps"] = {name: table["steps"][name] for name in STEPS if name in table["steps"]}
    write(path, table)


if __name__ == "__main__":
    main()
