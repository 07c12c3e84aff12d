"""One run of a sweep: train at one grid point, then evaluate on every target.

This is the function the backends ship to a worker process (local pool or a Ray
worker), so it takes and returns plain data. Training checkpoints into
``<sweep>/runs/<run_id>/``: a run cut short (by Ctrl-C, or even by SIGKILL)
resumes from its last checkpoint when the sweep is rerun.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from simreal.sweeps.grid import RunPoint


def short_id(env_id: str) -> str:
    """An env id without its namespace, for column names (``PendulumSwingupReal-v0``)."""
    return env_id.rpartition("/")[2]


def metric_columns(env_id: str, prefix: str = "") -> tuple[str, str, str]:
    """Column names of one evaluated env: mean return, its 95% half-width, success rate.

    Args:
        env_id: The evaluated env.
        prefix: ``"clone:"`` for the columns of a ``bcrl`` or ``bcppo`` run's clone before
            fine-tuning.
    """
    name = prefix + short_id(env_id)
    return f"{name}/return", f"{name}/return_ci95", f"{name}/success"


def execute(point: RunPoint, runs_dir: str, threads: int = 1) -> dict[str, Any]:
    """Train and evaluate one grid point; return its results-table row.

    Args:
        point: The grid point.
        runs_dir: Folder of the sweep's run folders.
        threads: CPU threads this run may use (simulation and torch).

    Returns:
        The row: the point's settings, the env steps it trained on (or demonstrated, for
        ``bc``), wall times and one return / interval / success triple per evaluated env
        (and, for ``bcrl`` and ``bcppo``, one more per env for its clone,
        ``clone:<env>/...``).
    """
    import torch

    from simreal.learning.evaluate import evaluate

    torch.set_num_threads(threads)
    folder = Path(runs_dir) / point.run_id
    start = time.perf_counter()
    if point.algo == "bc":
        env_steps = clone_expert(point, folder)
    elif point.algo == "bcrl":
        env_steps = clone_and_finetune(point, folder)
    elif point.algo == "bcppo":
        env_steps = clone_and_finetune_ppo(point, folder)
    else:
        env_steps = train_rl(point, folder, threads)
    trained = time.perf_counter()
    row: dict[str, Any] = {
        **point.settings(),
        "env_steps": env_steps,
        "train_seconds": round(trained - start, 2),
    }
    # A bcrl or bcppo run is also scored before RL: its clone, on the same episodes.
    cloned = point.algo in ("bcrl", "bcppo")
    policies = [(folder, "")] + ([(folder / "bc", "clone:")] if cloned else [])
    for policy, prefix in policies:
        for env_id in point.eval_on:
            result = evaluate(policy, env_id, episodes=point.episodes, seed=point.eval_seed)
            mean, half, success = metric_columns(env_id, prefix)
            row[mean], row[half], row[success] = (
                result.mean_return,
                result.return_ci95,
                result.success_rate,
            )
    row["eval_seconds"] = round(time.perf_counter() - trained, 2)
    return row


def train_rl(point: RunPoint, folder: Path, threads: int) -> int:
    """PPO or SAC under the point's DR spec and width (resumes from a checkpoint).

    Returns:
        The env steps trained on.
    """
    from simreal.learning.train import TrainConfig, train, trained_steps

    config = TrainConfig(
        task=point.task,
        algo=point.algo,
        steps=point.steps,
        seed=point.seed,
        n_envs=point.n_envs,
        dr=point.spec,
        width=point.width,
        checkpoint_every=max(point.steps // 10, 1),
        algo_kwargs=point.algo_kwargs,
    )
    train(config, folder, progress=False, threads=threads)
    return trained_steps(folder)


def clone_expert(point: RunPoint, folder: Path) -> int:
    """Imitation: the task's expert demonstrates under the point's DR; a Gaussian head clones it.

    ``steps`` is the demonstration budget in env steps (whole episodes, rounded up);
    ``algo_kwargs`` may set ``epochs`` and the other :class:`BCConfig` fields. Seed ``s``
    demonstrates on episodes seeded from ``1_000_000 * (s + 1)``, apart from the
    evaluation seeds.

    Returns:
        The env steps demonstrated.
    """
    import gymnasium as gym

    from simreal.learning.bc import BCConfig, train_bc
    from simreal.learning.collect import collect

    limit = gym.spec(point.task).max_episode_steps or 1000
    episodes = -(-point.steps // limit)
    folder.mkdir(parents=True, exist_ok=True)
    data = collect(point.task, "expert", episodes=episodes, out=folder / "demos.parquet",
                   dr=point.spec, width=point.width, seed=1_000_000 * (point.seed + 1))  # fmt: skip
    config = BCConfig(point.task, "gaussian", seed=point.seed, **point.algo_kwargs)
    train_bc(config, data, folder, progress=False)
    import pyarrow.parquet as pq

    return int(pq.read_metadata(data).num_rows)


def clone_first(point: RunPoint, folder: Path, kwargs: dict) -> int:
    """The clone of a ``bcrl`` or ``bcppo`` run, in ``<run>/bc`` (kept when the run resumes).

    Args:
        point: The run's grid point (task, DR, width, seed).
        folder: The run's folder.
        kwargs: The learner's settings; ``demo_steps`` (the demonstration budget, default
            20,000 env steps) and ``bc`` (:class:`BCConfig` fields) are popped from it.

    Returns:
        The env steps demonstrated.
    """
    from dataclasses import replace

    demo_steps = int(kwargs.pop("demo_steps", 20_000))
    clone = replace(point, algo="bc", steps=demo_steps, algo_kwargs=kwargs.pop("bc", {}))
    if (folder / "bc" / "policy.json").is_file():  # a cut-off run: its clone is finished
        import pyarrow.parquet as pq

        return int(pq.read_metadata(folder / "bc" / "demos.parquet").num_rows)
    return clone_expert(clone, folder / "bc")


def clone_and_finetune(point: RunPoint, folder: Path) -> int:
    """Imitation first, RL second: clone the expert, then fine-tune the clone with SAC.

    ``steps`` is the SAC fine-tuning budget; ``algo_kwargs`` may set ``demo_steps`` and
    ``bc`` (see :func:`clone_first`) and any
    :class:`~simreal.learning.sac_finetune.SACFinetuneConfig` field (``utd``,
    ``critic_warmup``, ``algo_kwargs``, ...). The clone lives in ``<run>/bc``, its
    demonstrations stay in every SAC batch, and both train under the point's DR.

    Returns:
        The env steps used: the demonstrations' plus the fine-tuning's.
    """
    from simreal.learning.sac_finetune import SACFinetuneConfig
    from simreal.learning.sac_finetune_run import finetune_sac

    kwargs = dict(point.algo_kwargs)
    demonstrated = clone_first(point, folder, kwargs)
    config = SACFinetuneConfig(
        point.task,
        point.steps,
        seed=point.seed,
        n_envs=point.n_envs,
        dr=point.spec,
        width=point.width,
        demos=(str(folder / "bc" / "demos.parquet"),),
        **kwargs,
    )
    finetune_sac(config, folder / "bc", folder, progress=False)
    return demonstrated + point.steps


def clone_and_finetune_ppo(point: RunPoint, folder: Path) -> int:
    """Imitation first, RL second: clone the expert, then fine-tune the clone with PPO.

    ``steps`` is the PPO fine-tuning budget on ``n_envs`` batched envs; ``algo_kwargs``
    may set ``demo_steps`` and ``bc`` (see :func:`clone_first`) and any
    :class:`~simreal.learning.finetune.FinetuneConfig` field (``critic_warmup``,
    ``bc_weight``, ...); where they are silent, ``simreal finetune``'s defaults apply
    (:func:`~simreal.learning.defaults.bcppo_defaults`: the task's ``ppo`` settings in
    its ``train.yaml``, a critic warm-up of 4,096 env steps). The clone and
    the fine-tune train under the point's DR. The PPO fine-tune keeps no mid-run
    checkpoint: a run cut off during it keeps its clone and fine-tunes again.

    Returns:
        The env steps used: the demonstrations' plus the fine-tuning's.
    """
    from simreal.learning.defaults import bcppo_defaults
    from simreal.learning.finetune import FinetuneConfig, finetune, summary

    kwargs = {**bcppo_defaults(point.task), **point.algo_kwargs}
    demonstrated = clone_first(point, folder, kwargs)
    config = FinetuneConfig(
        point.task,
        point.steps,
        seed=point.seed,
        n_envs=point.n_envs,
        dr=point.spec,
        width=point.width,
        **kwargs,
    )
    finetune(config, folder / "bc", folder)
    return demonstrated + summary(folder)["env_steps"]
