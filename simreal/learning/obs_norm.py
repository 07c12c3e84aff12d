"""Observation normalisation of a run, stored as plain arrays.

SB3's ``VecNormalize.save`` pickles the wrapper; simreal stores its statistics as
arrays in ``obs_norm.npz`` (read with ``allow_pickle=False``), so loading a run
executes no pickled code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simreal.atomic_io import write_atomic
from simreal.learning.policy_store import RunError

OBS_NORM = "obs_norm.npz"


def obs_norm_arrays(venv: Any) -> dict[str, np.ndarray]:  # noqa: ANN401
    """A ``VecNormalize``'s observation statistics as arrays."""
    rms = venv.obs_rms
    return {
        "mean": np.array(rms.mean),
        "var": np.array(rms.var),
        "count": np.array(rms.count),
        "clip_obs": np.array(venv.clip_obs),
        "epsilon": np.array(venv.epsilon),
    }


def save_obs_norm(venv: Any, path: Path) -> None:  # noqa: ANN401
    """Store a ``VecNormalize``'s observation statistics as arrays (atomic)."""
    arrays = obs_norm_arrays(venv)
    write_atomic(path, lambda tmp: np.savez(tmp, **arrays))


def load_obs_norm(venv: Any, path: Path) -> None:  # noqa: ANN401
    """Load statistics saved by :func:`save_obs_norm` into a ``VecNormalize``.

    Raises:
        RunError: For a missing or truncated file, or statistics of another shape.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.array(data[k]) for k in data.files}
        mean, var = arrays["mean"], arrays["var"]
    except (OSError, ValueError, KeyError) as error:
        raise RunError(
            f"{path}: cannot read the normalisation ({type(error).__name__}); the file is "
            "truncated or not simreal's: rerun the command that wrote the run."
        ) from None
    if mean.shape != venv.obs_rms.mean.shape:
        raise RunError(
            f"{path}: normalisation for observations of shape {mean.shape}, "
            f"the env has {venv.obs_rms.mean.shape}."
        )
    venv.obs_rms.mean, venv.obs_rms.var = mean, var
    venv.obs_rms.count = float(arrays["count"])
    venv.clip_obs, venv.epsilon = float(arrays["clip_obs"]), float(arrays["epsilon"])
