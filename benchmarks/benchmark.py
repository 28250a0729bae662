"""Benchmarks for lessons 05 and 06.

    python benchmarks/benchmark.py throughput [--epochs 3] [--device auto|cpu|cuda|mps]
        Trains the notes' LeNet for the same epochs, in one run on one device, with (a)
        helpers.train under EARLIER_RECIPE, once with its batch 64 and once with d2l's batch 256,
        and (b)
        a d2l-style loop (torchvision dataset + ToTensor + DataLoader, batch 256, plain SGD lr 0.9,
        Xavier init, test accuracy after every epoch), and prints examples/second of each, the
        ratio and the test accuracy each reached. Wall time covers everything after the data is
        loaded, per-epoch evaluation included.

    python benchmarks/benchmark.py variants [--only notes lenet5 modern] [--recipe NAME]
                                            [--augment] [--seeds 0 1 2] [--device ...]
                                            [--json FILE]
        Trains each LeNet variant with its recipe (RECIPES below; --recipe NAME: all with NAME's
        recipe, as in table A of lesson 06; --augment adds random flips and 2-pixel shifts to
        the recipe, table C) through helpers.train and prints test accuracy (each seed's and
        their mean; --seeds, default 0 1 2), parameter count and median wall time; adds them to
        the JSON file that lesson 06 reads (notebooks/results/results.json: lesson data, kept
        beside the lessons), so variants can run as separate processes.

    --threads N sets torch's CPU threads (default: torch's choice, one per core).

The time-to-accuracy comparison is benchmarks/time_to_accuracy.py.

Run from the repository root. Results and the machine they ran on are kept in benchmarks/README.md.
"""

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

import helpers
from convlab.data import find_or_fetch_root

DEFAULT_JSON = "notebooks/results/results.json"
# The notes' network's recipe before the lesson's (0.8986 after 10 epochs): batch 64, peak lr
# 0.15, momentum cycling 0.95 → 0.85 → 0.95, contiguous tensors. The throughput comparison and the
# time-to-accuracy race still run it, so their stored figures stay comparable.
EARLIER_RECIPE = dict(epochs=10, batch_size=64, lr=0.15, momentum=(0.85, 0.95), channels_last=False)
# Each variant's training recipe: the keyword arguments of helpers.train, every one spelled out
# where it differs from the lesson's recipe (helpers.train's defaults).
RECIPES = {
    # constant momentum 0.9, batch 256, peak lr 1.0, channels-last (faster for LeNet on a CPU)
    "notes": helpers.LESSON_RECIPE,
    "lenet5": dict(epochs=10, batch_size=128, lr=0.2, momentum=(0.85, 0.95), channels_last=False),
    # peak lr 0.4 (0.9240 with 0.2), constant momentum 0.9: 0.9246
    "modern": dict(
        epochs=30,
        batch_size=128,
        lr=0.4,
        momentum=(0.9, 0.9),
        augment=True,
        label_smoothing=0.1,
        channels_last=False,
    ),
}


def d2l_train(
    net, root, epochs, device, batch_size=256, lr=0.9, workers=4, history=False, subset=None
):
    """The d2l training loop (``d2l.train_ch6`` with ``d2l.load_data_fashion_mnist``).

    PIL images are turned into tensors by ``ToTensor`` one at a time in DataLoader workers. Returns
    the final test accuracy or, with ``history=True``, a dict of per-epoch lists: test_acc and
    elapsed (seconds since the data sets were read, at the end of each epoch's evaluation).
    ``subset``: train and test on the first ``subset`` images of each split only (smoke tests).
    """
    from torch.utils.data import DataLoader, Subset
    from torchvision import datasets, transforms

    to_tensor = transforms.ToTensor()
    train_set = datasets.FashionMNIST(root, train=True, transform=to_tensor, download=False)
    test_set = datasets.FashionMNIST(root, train=False, transform=to_tensor, download=False)
    if subset is not None:
        train_set, test_set = (Subset(d, range(min(subset, len(d)))) for d in (train_set, test_set))
    start = time.perf_counter()
    accuracies, elapsed = [], []
    train_iter = DataLoader(train_set, batch_size, shuffle=True, num_workers=workers)
    test_iter = DataLoader(test_set, batch_size, shuffle=False, num_workers=workers)
    net.apply(
        lambda m: (
            nn.init.xavier_uniform_(m.weight) if isinstance(m, (nn.Linear, nn.Conv2d)) else None
        )
    )
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for _ in range(epochs):
        net.train()
        for X, y in train_iter:
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            loss(net(X), y).backward()
            optimizer.step()
        net.eval()
        correct = 0
        with torch.no_grad():
            for X, y in test_iter:
                correct += (net(X.to(device)).argmax(dim=1) == y.to(device)).sum().item()
        accuracies.append(correct / len(test_set))
        elapsed.append(time.perf_counter() - start)
    return dict(test_acc=accuracies, elapsed=elapsed) if history else accuracies[-1]


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def throughput(args, data, device):
    """Examples/second of helpers.train and of the d2l-style loop.

    helpers.train runs EARLIER_RECIPE with its batch 64 and with d2l's batch 256; all runs are in
    this one process on one device.
    """
    examples = args.epochs * len(data.train_images)
    rows = []
    for batch_size in (64, 256):  # the earlier recipe's batch and d2l's
        torch.manual_seed(0)
        history, seconds = timed(
            lambda: helpers.train(
                helpers.lenet("notes"),
                data,
                **{**EARLIER_RECIPE, "epochs": args.epochs, "batch_size": batch_size},
                device=device,
                progress=False,
            )
        )
        rows.append((f"helpers.train, batch {batch_size}", seconds, history["test_acc"][-1]))
    torch.manual_seed(0)
    # The folder load_fashion_mnist read, for torchvision.
    root = find_or_fetch_root(None)
    d2l_acc, d2l_s = timed(lambda: d2l_train(helpers.lenet("notes"), root, args.epochs, device))
    print(
        f"notes' LeNet, {args.epochs} epochs on {len(data.train_images)} images, device {device}, "
        f"{torch.get_num_threads()} threads"
    )
    for name, seconds, accuracy in rows + [("d2l-style loop, batch 256", d2l_s, d2l_acc)]:
        print(
            f"  {name:27s} {examples / seconds:8.0f} examples/s  {seconds:6.1f} s  "
            f"test accuracy {accuracy:.4f}"
            f"  ratio to d2l {d2l_s / seconds:5.2f}×"
        )


def variants(args, data, device):
    results = {}
    for variant in args.only:
        recipe = RECIPES[args.recipe or variant]
        if args.augment:  # the same recipe with random flips and 2-pixel shifts
            recipe = {**recipe, "augment": True}
        accuracies, times = [], []
        for seed in args.seeds:  # the seed draws the initial weights and the shuffling
            torch.manual_seed(seed)
            net = helpers.lenet(variant)
            history, seconds = timed(
                lambda: helpers.train(net, data, device=device, progress=False, **recipe)
            )
            accuracies.append(round(history["test_acc"][-1], 4))
            times.append(round(seconds, 1))
            print(
                f"{variant:7s} seed {seed} test accuracy {accuracies[-1]:.4f}  "
                f"{recipe['epochs']:2d} epochs  {seconds:6.1f} s  per epoch: "
                f"{[round(a, 4) for a in history['test_acc']]}",
                flush=True,
            )
        results[variant] = dict(
            test_acc=round(statistics.mean(accuracies), 4),
            test_acc_by_seed=dict(zip(map(str, args.seeds), accuracies)),
            epochs=recipe["epochs"],
            parameters=sum(p.numel() for p in net.parameters()),
            seconds=statistics.median(times),
            recipe=recipe,
        )
    if args.json:  # merge with the variants that earlier runs wrote
        path = Path(args.json)
        table = json.loads(path.read_text()) if path.exists() else dict(results={})
        table["results"] = {
            name: ({**table["results"], **results}[name])
            for name in RECIPES
            if name in {**table["results"], **results}
        }
        table.update(
            command=f"python benchmarks/benchmark.py variants --device {args.device}"
            + (f" --only {' '.join(args.only)}" if args.only != list(RECIPES) else "")
            + (f" --recipe {args.recipe}" if args.recipe else "")
            + (" --augment" if args.augment else "")
            + (f" --threads {args.threads}" if args.threads else "")
            + f" --seeds {' '.join(map(str, args.seeds))}"
            + (f" --json {args.json}" if args.json != DEFAULT_JSON else ""),
            machine=f"{platform.machine()}, {torch.get_num_threads()} torch threads, {device}",
            torch=torch.__version__,
        )
        partial = path.with_suffix(".json.partial")  # written whole, then renamed: never half
        partial.write_text(json.dumps(table, indent=2) + "\n")
        partial.replace(path)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("throughput", "variants"))
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the throughput comparison")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument(
        "--only",
        nargs="+",
        default=list(RECIPES),
        choices=list(RECIPES),
        help="variants to train (default: all)",
    )
    parser.add_argument(
        "--recipe",
        choices=list(RECIPES),
        help="train every variant with this variant's recipe (notes: table A of lesson 06)",
    )
    parser.add_argument(
        "--augment",
        action="store_true",
        help="variants: add random flips and 2-pixel shifts to the recipe (augment=True)",
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], help="variants: one run per seed"
    )
    parser.add_argument("--json", default=DEFAULT_JSON, help="where variants writes its table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = helpers.pick_device() if args.device == "auto" else torch.device(args.device)
    data = helpers.load_fashion_mnist()
    (throughput if args.mode == "throughput" else variants)(args, data, device)


if __name__ == "__main__":
    main()
