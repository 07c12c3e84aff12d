"""A training checkpoint: all training state of a run, written as one atomic unit.

Layout (one folder per checkpoint; only the newest is kept)::

    checkpoints/step-000004096/
        policy.json, policy.pt   policy and optimizer tensors (``policy_store``)
        obs_norm.npz             observation normalisation
        replay.npz               off-policy algorithms: the replay buffer's arrays
        rng.npz                  torch, NumPy and Python RNG states
        state.json               env steps, updates, episodes, the learning curve
        extra.pt                 more tensors of the caller's (e.g. a BC step's optimizer)

The folder is written under a temporary name, every file and the folder are
fsynced, and one rename gives it its final name, so a kill at any moment leaves
either the previous checkpoint or the new one, never a policy paired with
another step's normalisation.

The replay buffer is stored as plain arrays (read with ``allow_pickle=False``)
rather than with SB3's ``save_replay_buffer``, which pickles the buffer object:
loading a checkpoint executes no code from it. The envs' own state (the episodes
in progress) is not stored: a resumed run starts fresh episodes.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from simreal.atomic_io import fsync_dir, fsync_file
from simreal.learning.obs_norm import OBS_NORM, load_obs_norm, obs_norm_arrays
from simreal.learning.policy_store import (
    RunError,
    read_tensors,
    restore_tensors,
    save_model,
)

STATE = "state.json"
REPLAY = "replay.npz"
RNG = "rng.npz"
EXTRA_TENSORS = "extra.pt"
PREFIX = "step-"
_NAME = re.compile(rf"^{PREFIX}(\d+)$")


def _replay_arrays(buffer: Any) -> dict[str, np.ndarray]:  # noqa: ANN401
    """The filled part of an SB3 ``ReplayBuffer`` (or ``DictReplayBuffer``) as arrays."""
    filled = buffer.buffer_size if buffer.full else buffer.pos
    arrays = {"pos": np.array(buffer.pos), "full": np.array(buffer.full)}
    for name in ("observations", "next_observations"):
        value = getattr(buffer, name, None)
        if isinstance(value, dict):
            arrays.update({f"{name}/{k}": v[:filled] for k, v in value.items()})
        elif value is not None:
            arrays[name] = value[:filled]
    for name in ("actions", "rewards", "dones", "timeouts"):
        arrays[name] = getattr(buffer, name)[:filled]
    return arrays


def _restore_replay(buffer: Any, path: Path) -> None:  # noqa: ANN401
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: np.array(data[k]) for k in data.files}
    filled = len(arrays["actions"])
    if filled > buffer.buffer_size or arrays["actions"].shape[1:] != buffer.actions.shape[1:]:
        raise RunError(
            f"{path}: a replay buffer of {arrays['actions'].shape} does not fit this run's "
            f"{buffer.actions.shape}; train into a new --out."
        )
    for key, value in arrays.items():
        if key in ("pos", "full"):
            continue
        name, _, sub = key.partition("/")
        target = getattr(buffer, name)
        (target[sub] if sub else target)[:filled] = value
    buffer.pos, buffer.full = int(arrays["pos"]), bool(arrays["full"])


def _rng_arrays() -> dict[str, np.ndarray]:
    import torch

    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, python_state, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state().numpy(),
        "numpy_kind": np.array(kind),
        "numpy_keys": keys,
        "numpy_rest": np.array([pos, has_gauss]),
        "numpy_cached": np.array(cached),
        "python_version": np.array(version),
        "python_state": np.array(python_state, dtype=np.int64),
        "python_gauss": np.array(np.nan if gauss is None else gauss),
    }


def _restore_rng(path: Path) -> None:
    import torch

    with np.load(path, allow_pickle=False) as data:
        torch.set_rng_state(torch.from_numpy(np.array(data["torch"])))
        pos, has_gauss = (int(v) for v in data["numpy_rest"])
        np.random.set_state(
            (
                str(data["numpy_kind"]),
                data["numpy_keys"],
                pos,
                has_gauss,
                float(data["numpy_cached"]),
            )
        )
        gauss = float(data["python_gauss"])
        random.setstate(
            (
                int(data["python_version"]),
                tuple(int(v) for v in data["python_state"]),
                None if np.isnan(gauss) else gauss,
            )
        )


def latest_checkpoint(folder: Path) -> Path | None:
    """The newest complete checkpoint under ``folder`` (``None`` if there is none)."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = [
        (int(match.group(1)), path)
        for path in folder.iterdir()
        if (match := _NAME.match(path.name)) and (path / STATE).is_file()
    ]
    return max(found)[1] if found else None


def save_checkpoint(
    folder: Path,
    model: Any,  # noqa: ANN401
    env: Any,  # noqa: ANN401
    steps: int,
    curve: list[tuple[int, float]],
    extra: dict | None = None,
    tensors: dict | None = None,
) -> Path:
    """Write all training state at ``steps`` env steps as one checkpoint; drop older ones.

    Args:
        folder: The run's ``checkpoints/`` folder.
        model: The SB3 model (its parameters as of ``steps``).
        env: Its ``VecNormalize`` env.
        steps: The env steps the model has trained on.
        curve: The learning curve so far.
        extra: More JSON state of the caller's, stored under ``extra`` (see
            :func:`checkpoint_extra`).
        tensors: More tensors of the caller's (plain containers of tensors and numbers,
            read back with ``weights_only=True``: see :func:`checkpoint_tensors`).

    Returns:
        The checkpoint's folder.
    """
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{PREFIX}{steps:09d}"
    if not final.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        try:
            trained = model.num_timesteps
            model.num_timesteps = steps
            try:
                save_model(model, tmp)
            finally:
                model.num_timesteps = trained
            np.savez(tmp / OBS_NORM, **obs_norm_arrays(env))
            buffer = getattr(model, "replay_buffer", None)
            if buffer is not None:
                np.savez(tmp / REPLAY, **_replay_arrays(buffer))
            np.savez(tmp / RNG, **_rng_arrays())
            if tensors is not None:
                torch.save(tensors, tmp / EXTRA_TENSORS)
            state = {
                "steps": steps,
                "updates": int(getattr(model, "_n_updates", 0)),
                "episodes": int(getattr(model, "_episode_num", 0)),
                "curve": [[s, r] for s, r in curve],
                "torch_version": torch.__version__,
                "extra": extra or {},
            }
            (tmp / STATE).write_text(json.dumps(state, indent=2) + "\n")
            for path in tmp.iterdir():
                fsync_file(path)
            tmp.chmod(0o777 & ~_umask())
            fsync_dir(tmp)
            os.rename(tmp, final)
            fsync_dir(folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    for path in folder.iterdir():
        if path != final and (_NAME.match(path.name) or path.name.startswith(".tmp-")):
            shutil.rmtree(path, ignore_errors=True)
    return final


def checkpoint_extra(path: Path) -> dict:
    """The ``extra`` state a checkpoint was saved with (``{}`` if none)."""
    try:
        return dict(json.loads((Path(path) / STATE).read_text()).get("extra", {}))
    except (OSError, ValueError, TypeError):
        return {}


def checkpoint_tensors(path: Path) -> dict | None:
    """The ``tensors`` a checkpoint was saved with, read with ``weights_only=True``.

    Args:
        path: The checkpoint's folder.

    Returns:
        The dict given to :func:`save_checkpoint` as ``tensors``, or ``None`` if none was.

    Raises:
        RunError: For a file that is there but cannot be read or holds no dict.
    """
    import torch

    file = Path(path) / EXTRA_TENSORS
    if not file.is_file():
        return None
    try:
        tensors = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any failure is a broken file
        tensors = error
    if not isinstance(tensors, dict):
        raise RunError(
            f"{file}: not simreal checkpoint tensors ({type(tensors).__name__}); delete "
            f"{path} to resume from scratch."
        )
    return tensors


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def restore_checkpoint(path: Path, model: Any, env: Any) -> list[tuple[int, float]]:  # noqa: ANN401
    """Load a checkpoint into a model and env built with the run's settings.

    Returns:
        The learning curve stored with it.

    Raises:
        RunError: For a checkpoint that is broken or belongs to other settings.
    """
    path = Path(path)
    try:
        state = json.loads((path / STATE).read_text())
        steps = int(state["steps"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunError(
            f"{path / STATE}: not a simreal checkpoint ({type(error).__name__}); delete {path} "
            "to resume from scratch."
        ) from None
    try:
        restore_tensors(model, read_tensors(path / "policy.pt"))
    except (RuntimeError, ValueError, KeyError, AttributeError) as error:
        raise RunError(
            f"{path}: the checkpoint does not fit this run's settings ({type(error).__name__}); "
            "train into a new --out."
        ) from None
    load_obs_norm(env, path / OBS_NORM)
    if getattr(model, "replay_buffer", None) is not None:
        _restore_replay(model.replay_buffer, path / REPLAY)
    _restore_rng(path / RNG)
    model.num_timesteps = steps
    model._n_updates = int(state.get("updates", 0))  # noqa: SLF001 - SB3's update counter
    model._episode_num = int(state.get("episodes", 0))  # noqa: SLF001 - SB3's episode counter
    return [(int(s), float(r)) for s, r in state.get("curve", [])]
