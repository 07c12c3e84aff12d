"""Record demonstrations: episodes of an expert or a trained policy, as one table.

Dataset columns (Parquet by default; HDF5, NPZ or CSV by the file suffix —
readable with pyarrow or h5py alone), one row per step::

    episode_index     int, 0 .. episodes - 1
    step              int, step within the episode
    time              seconds since the episode's start (step * dt)
    obs:<i>           the observation the policy acted on, entry i
    action:<j>        the action taken, entry j
    reward            the reward of the step
    terminated        1 if the episode ended in a terminal state at this step
    truncated         1 if it was cut by the time limit at this step
    is_success        info["is_success"] after the step
    dr:<param id>     scalar randomized parameters in effect (when collected under DR)

The file also records the env id it was collected on, as its metadata (see
:mod:`simreal.learning.dataset_task`); ``simreal bc`` checks it.

With ``fmt="lerobot"`` the same episodes become a LeRobot v3 dataset folder
(:mod:`simreal.datasets.lerobot`): ``observation.state`` (entries named ``obs:<i>``),
``action`` (named by the model's actuators), ``next.reward``, ``next.done``,
``next.success`` and ``dr:<param id>`` (under DR), at the env's control rate; its
task string is the env id and its ``robot_type`` is ``simreal``.

The same conventions as the system-identification logs: named columns, one
table per file, episodes indexed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simreal.datasets.tables import write_columns
from simreal.learning.dataset_task import LEROBOT_ROBOT, TASK_KEY

FORMATS = ("table", "lerobot")


def collect(
    env_id: str,
    policy: str | Path = "expert",
    episodes: int = 10,
    out: str | Path = "demos.parquet",
    dr: Any = None,  # noqa: ANN401
    width: float | None = None,
    seed: int = 0,
    trust_pickle: bool = False,
    fmt: str = "table",
) -> Path:
    """Roll out ``policy`` for ``episodes`` seeded episodes and write the dataset atomically.

    Args:
        env_id: The task (or real proxy) to record on.
        policy: ``"expert"`` (the task's controller) or a run folder of ``simreal train``.
        episodes: Number of episodes (>= 1).
        out: Dataset file.
        dr: Optional DR spec to collect under (``"default"``, a path, a dict).
        width: Global width.
        seed: Episode ``i`` is reset with ``seed + i``.
        trust_pickle: Also load a run of an older simreal whose policy is a pickled SB3
            ``policy.zip`` (loading it runs code stored in the file).
        fmt: ``table`` (one file, its suffix says the format) or ``lerobot`` (a LeRobot v3
            dataset folder).

    Returns:
        The dataset path.

    Raises:
        ValueError: For ``episodes < 1`` or image observations.
    """
    from gymnasium import spaces

    from simreal.factory import make

    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an integer >= 1, got {episodes!r}.")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}.")
    env = make(env_id, dr=dr, width=width)
    space = env.observation_space
    if not isinstance(space, spaces.Box) or not np.issubdtype(space.dtype, np.floating):
        raise ValueError(f"{env_id} observes images; collect demonstrations on its state variant.")
    if str(policy) == "expert":
        from simreal.envs.registry import make_expert

        actor = make_expert(env_id)
    else:
        from simreal.learning.evaluate import RunPolicy

        actor = RunPolicy(policy, trust_pickle=trust_pickle)
    dt = float(env.unwrapped.dt)
    model = getattr(env.unwrapped, "model", None)
    actuators = [model.actuator(i).name for i in range(model.nu)] if model is not None else []
    rows: dict[str, list] = {
        k: []
        for k in (
            "episode_index",
            "step",
            "time",
            "obs",
            "action",
            "reward",
            "terminated",
            "truncated",
            "is_success",
        )
    }
    dr_rows: dict[str, list] = {}
    for episode in range(episodes):
        obs, info = env.reset(seed=seed + episode)
        if hasattr(actor, "reset"):
            actor.reset()
        done, step = False, 0
        while not done:
            action = np.asarray(actor(obs), dtype=np.float64)
            next_obs, reward, terminated, truncated, info = env.step(action.astype(np.float32))
            for key, value in (
                ("episode_index", episode),
                ("step", step),
                ("time", step * dt),
                ("obs", obs),
                ("action", action),
                ("reward", reward),
                ("terminated", terminated),
                ("truncated", truncated),
                ("is_success", info.get("is_success", False)),
            ):
                rows[key].append(value)
            for pid, value in info.get("dr", {}).items():
                if np.ndim(value) == 0:
                    dr_rows.setdefault(pid, []).append(float(value))
            obs, step, done = next_obs, step + 1, terminated or truncated
    env.close()
    observations, actions = np.array(rows["obs"]), np.array(rows["action"])
    if fmt == "lerobot":
        from simreal.datasets.lerobot import write_lerobot_dataset

        if len(actuators) != actions.shape[1] or not all(actuators):
            actuators = [f"action:{j}" for j in range(actions.shape[1])]
        features = {
            "observation.state": observations,
            "action": actions,
            "next.reward": np.array(rows["reward"], np.float64),
            "next.done": np.array(rows["terminated"]) | np.array(rows["truncated"]),
            "next.success": np.array(rows["is_success"], bool),
        }
        # The randomized parameters in effect, as the table's dr:<param id> columns.
        features.update({f"dr:{pid}": np.array(values) for pid, values in dr_rows.items()})
        names = {"observation.state": [f"obs:{i}" for i in range(observations.shape[1])],
                 "action": actuators}  # fmt: skip
        episode_index = np.array(rows["episode_index"])
        return write_lerobot_dataset(out, features, names, episode_index, fps=1.0 / dt,
                                     task=env_id, robot_type=LEROBOT_ROBOT)  # fmt: skip
    columns: dict[str, np.ndarray] = {
        "episode_index": np.array(rows["episode_index"], np.int64),
        "step": np.array(rows["step"], np.int64),
        "time": np.array(rows["time"]),
    }
    columns.update({f"obs:{i}": observations[:, i] for i in range(observations.shape[1])})
    columns.update({f"action:{j}": actions[:, j] for j in range(actions.shape[1])})
    columns["reward"] = np.array(rows["reward"], np.float64)
    for key in ("terminated", "truncated", "is_success"):
        columns[key] = np.array(rows[key], np.int8)
    columns.update({f"dr:{pid}": np.array(values) for pid, values in dr_rows.items()})
    return write_columns(columns, out, metadata={TASK_KEY: env_id})
