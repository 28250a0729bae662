"""Tests of benchmarks/time_to_accuracy.py: the counting, the peak and a tiny end-to-end run.

No test asserts a timing: the benchmark prints figures.
"""

import importlib.util
import json
import sys

import pytest
import torch

import helpers

SCRIPT = helpers.REPO_ROOT / "benchmarks" / "time_to_accuracy.py"


@pytest.fixture(scope="module")
def tta():
    spec = importlib.util.spec_from_file_location("time_to_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_multiply_adds_are_counted_from_the_layer_sizes(tta):
    per_layer = tta.layer_macs(helpers.lenet("notes"))
    # conv 1→6, 5×5, 28×28 out; conv 6→16, 5×5, 12×12 out; linear 784→120; linear 120→10
    assert per_layer == [6 * 25 * 28 * 28, 16 * 6 * 25 * 12 * 12, 784 * 120, 120 * 10]
    # forward + weight gradients + input gradients, the image needing none
    assert tta.step_macs(per_layer) == 3 * sum(per_layer) - 6 * 25 * 28 * 28


def test_the_cpu_peak_is_cores_times_units_times_lanes_times_clock(tta):
    peak = tta.cpu_peak()
    assert peak["peak_macs_per_s"] == pytest.approx(
        peak["cores"] * peak["fma_units"] * peak["lanes"] * peak["clock_ghz"] * 1e9, rel=1e-3
    )
    assert f"{peak['cores']} cores × {peak['fma_units']} FMA units" in peak["derivation"]


def test_first_reached_gives_the_first_epoch_at_or_above_the_target(tta):
    run = dict(epochs=3, test_acc=[0.8, 0.9, 0.85], elapsed=[1.0, 2.5, 4.0])
    assert tta.first_reached(run, 0.85) == (2.5, 2)
    assert tta.first_reached(run, 0.8) == (1.0, 1)
    assert tta.first_reached(run, 0.95) is None
    assert tta._reached_text(run, 0.95) == "not reached in 3 epochs"


@pytest.mark.slow
def test_one_small_run_writes_histories_for_every_loop(tta, tmp_path, monkeypatch, one_thread):
    out = tmp_path / "tta.json"
    arguments = ["--subset", "256", "--epochs", "1", "--device", "cpu", "--threads", "1"]
    arguments += ["--json", str(out), "--plot", str(tmp_path / "tta.png")]
    monkeypatch.setattr(sys, "argv", ["time_to_accuracy.py", *arguments])
    monkeypatch.setattr(
        tta, "TRAIN_RECIPES", {k: {**r, "epochs": 1} for k, r in tta.TRAIN_RECIPES.items()}
    )
    tta.main()
    results = json.loads(out.read_text())
    assert set(results["runs"]) == set(tta.RUNS)
    for name, run in results["runs"].items():
        assert run["label"] == tta.RUNS[name]
        assert len(run["test_acc"]) == len(run["elapsed"]) == run["epochs"] == 1
        assert run["macs_per_s"] > 0
    assert results["targets"][0] == ["d2l", results["runs"]["d2l"]["test_acc"][-1]]
    assert (tmp_path / "tta.png").stat().st_size > 0
    assert torch.get_num_threads() == 1
