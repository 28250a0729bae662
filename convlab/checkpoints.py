"""Checkpoint files that let ``train`` resume: written atomically, refused when they do not fit."""

import os
from pathlib import Path

import torch

from convlab.language import _


def save_checkpoint(path, state):
    """Write ``state`` to ``path`` atomically: a killed process leaves the old file or the new."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def load_checkpoint(path, config, net, optimizer, scheduler, generator):
    """Restore a run from ``path`` into the given objects and return its history.

    Raises RuntimeError for an unreadable file and ValueError for one written by a different run,
    so a bad checkpoint never turns silently into a fresh start.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        saved_config = state["config"]
    except Exception as error:
        raise RuntimeError(
            _(
                "checkpoint {path} is corrupt or not a train() checkpoint "
                "({error} while reading it); delete it to start training afresh"
            ).format(path=path, error=type(error).__name__)
        ) from error
    changed = {
        key: (saved_config.get(key), value)
        for key, value in config.items()
        if saved_config.get(key) != value
    }
    if changed:
        difference = _("{key}: checkpoint {old!r}, now {new!r}")
        details = ", ".join(
            difference.format(key=key, old=old, new=new) for key, (old, new) in changed.items()
        )
        raise ValueError(
            _(
                "checkpoint {path} was written by a different training run ({details}); "
                "pass the same settings, or another checkpoint path to start afresh"
            ).format(path=path, details=details)
        )
    try:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    except (RuntimeError, ValueError, KeyError) as error:
        raise ValueError(
            _("checkpoint {path} does not fit this network or optimiser: {error}").format(
                path=path, error=error
            )
        ) from error
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return state["history"]
