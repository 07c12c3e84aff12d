"""Train PPO or SAC (Stable-Baselines3) under domain randomization, resumably.

A run folder holds everything needed to evaluate or resume it::

    runs/x/config.json          task, algorithm, spec, width, seed, steps (as trained), envs
    runs/x/policy.json          the final policy: description (algorithm, spaces, kwargs, steps)
    runs/x/policy.pt            ... and its tensors (``torch.load(weights_only=True)``)
    runs/x/obs_norm.npz         observation normalisation (mean, var, count, clip)
    runs/x/curve.csv            env steps, mean training return per rollout
    runs/x/checkpoints/step-N/  the latest checkpoint: all training state, one atomic unit
    runs/x/tb/                  TensorBoard logs

Nothing in a run folder is unpickled: policies are tensors plus JSON
(:mod:`~simreal.learning.policy_store`), normalisation and replay buffers are
arrays (:mod:`~simreal.learning.checkpoint`).

Budgets are exact: a run trains on ``steps`` env steps, which must be a multiple
of ``n_envs`` (every env steps at once). PPO collects whole rollouts of
``n_steps x n_envs`` steps and the last one is shortened to end at the budget.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.checkpoint import latest_checkpoint, restore_checkpoint, save_checkpoint
from simreal.learning.obs_norm import OBS_NORM, load_obs_norm, save_obs_norm
from simreal.learning.policy_store import (
    PICKLED,
    RunError,
    algorithm_class,
    has_model,
    load_model,
    save_model,
)

__all__ = [
    "ALGORITHMS",
    "CHECKPOINT",
    "CONFIG",
    "OBS_NORM",
    "POLICY",
    "RunError",
    "TrainConfig",
    "TrainingInterrupted",
    "budget_steps",
    "canonical",
    "load_obs_norm",
    "load_run",
    "save_obs_norm",
    "train",
    "trained_steps",
]

ALGORITHMS = ("ppo", "sac")
CONFIG = "config.json"
POLICY = PICKLED  # SB3's pickled model, as older runs stored it (read only when trusted)
CHECKPOINT = "checkpoints"


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training; a checkpoint at :attr:`steps` env steps was written.

    Args:
        steps: Env steps in the checkpoint.
        out: The run folder.
    """

    def __init__(self, steps: int, out: Path) -> None:
        super().__init__(f"interrupted at {steps} env steps")
        self.steps, self.out = steps, out

    def __reduce__(self) -> tuple:
        return TrainingInterrupted, (self.steps, self.out)


@dataclass(frozen=True)
class TrainConfig:
    """What a run trains.

    Attributes:
        task: Env id.
        algo: ``ppo`` or ``sac``.
        steps: Total env steps, a multiple of ``n_envs``.
        seed: Seed of the policy and of the envs.
        n_envs: Parallel envs (the batched vector env).
        dr: The DR spec as a dict (``None`` for none).
        width: Global width.
        checkpoint_every: Env steps between checkpoints.
        algo_kwargs: Keyword arguments of the SB3 algorithm (e.g. ``{"n_steps": 256}``).
    """

    task: str
    algo: str
    steps: int
    seed: int = 0
    n_envs: int = 8
    dr: dict | None = None
    width: float = 1.0
    checkpoint_every: int = 10_000
    algo_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.algo not in ALGORITHMS:
            raise ValueError(f"algo must be one of {', '.join(ALGORITHMS)}, got {self.algo!r}.")
        for name in ("steps", "n_envs", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        if not np.isfinite(self.width) or self.width < 0:
            raise ValueError(f"width must be a number >= 0, got {self.width!r}.")


def canonical(settings: dict) -> dict:
    """One comparable form of a run's settings: JSON types, keys sorted (tuples are lists)."""
    return json.loads(json.dumps(settings, sort_keys=True))


def budget_steps(config: TrainConfig) -> int:
    """The env steps a run trains on: exactly ``steps``.

    Raises:
        ValueError: If ``steps`` is not a multiple of ``n_envs`` (every env steps at once).
    """
    from simreal.learning.step_budget import check_step_budget

    check_step_budget(config.steps, config.n_envs)
    return config.steps


def _make_env(config: TrainConfig, threads: int | None = None) -> Any:  # noqa: ANN401
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from simreal.vector.make_vec import make_vec

    venv = make_vec(config.task, config.n_envs, dr=config.dr, width=config.width, n_threads=threads)
    venv.seed(config.seed)
    return VecNormalize(VecMonitor(venv), norm_obs=True, norm_reward=False)


def _check_folder(config: TrainConfig, out: Path) -> None:
    config_path = out / CONFIG
    if (out / CHECKPOINT / PICKLED).exists() and latest_checkpoint(out / CHECKPOINT) is None:
        raise RunError(
            f"{out} holds a pickled checkpoint of an older simreal, which is not resumed (loading "
            "it would run code from the file); choose another --out or delete its checkpoints/."
        )
    if not config_path.exists():
        return
    try:
        previous = canonical(json.loads(config_path.read_text()))
    except ValueError:
        raise RunError(f"{config_path} is not a run config; choose another --out.") from None
    current = canonical(asdict(config))
    # The same run may be extended to more steps; anything else is another run.
    if {**previous, "steps": config.steps} != current:
        changed = sorted(k for k in set(previous) | set(current) if k != "steps"
                         and previous.get(k) != current.get(k))  # fmt: skip
        raise RunError(
            f"{out} holds another run (it differs in: {', '.join(changed)}); choose another "
            "--out or delete it."
        )


def _learn(
    model: Any, config: TrainConfig, remaining: int, callbacks: list, progress: bool
) -> None:  # noqa: ANN401
    """Train ``remaining`` env steps exactly (PPO: whole rollouts, the last one shortened)."""
    from simreal.learning.budget import shorten_rollouts

    parts = [remaining]
    if config.algo == "ppo":
        size = model.n_steps * model.n_envs
        parts = [p for p in (remaining // size * size, remaining % size) if p]
    for part in parts:
        if callbacks[0].flag.raised:
            return
        if config.algo == "ppo" and part < size:  # the rest of the budget: one shorter rollout
            shorten_rollouts(model, part // model.n_envs)
        model.learn(
            part,
            callback=callbacks,
            reset_num_timesteps=False,
            tb_log_name="run",
            progress_bar=progress and sys.stderr.isatty(),
        )


def train(
    config: TrainConfig, out: str | Path, progress: bool = True, threads: int | None = None
) -> Path:
    """Train, checkpointing as it goes; rerunning the same command resumes the run.

    Args:
        config: What to train.
        out: The run folder.
        progress: Report progress on stderr: SB3's progress bar on a terminal, plain
            lines otherwise. "resuming at N steps" is printed whenever a checkpoint is found.
        threads: Simulation threads (default: all cores); results do not depend on it.

    Returns:
        The run folder.

    Raises:
        RunError: If ``out`` holds a different run.
        TrainingInterrupted: On Ctrl-C, after writing a checkpoint.
    """
    from simreal.learning.train_callbacks import Checkpointing, ProgressLines, SigintFlag

    out = Path(out)
    budget = budget_steps(config)
    _check_folder(config, out)
    latest = latest_checkpoint(out / CHECKPOINT)
    if latest is not None:  # a run is extended, never cut back
        done = int(json.loads((latest / "state.json").read_text())["steps"])
        if done > budget:
            raise RunError(
                f"{out} has trained {done:,} env steps, more than --steps {budget:,}; give "
                f"--steps {done:,} or more to extend it, or another --out."
            )
    with SigintFlag() as flag:
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / CONFIG, {**asdict(config), "steps": budget})  # what it trains
        env = _make_env(config, threads)
        # SB3 edits the kwargs it is given (SAC adds use_sde to policy_kwargs): give it a copy.
        model = algorithm_class(config.algo)(
            "MlpPolicy",
            env,
            seed=config.seed,
            device="cpu",
            tensorboard_log=str(out / "tb"),
            **copy.deepcopy(config.algo_kwargs),
        )
        curve: list[tuple[int, float]] = []
        latest = latest_checkpoint(out / CHECKPOINT)
        if latest is not None:
            curve = restore_checkpoint(latest, model, env)
            env.seed(config.seed + model.num_timesteps)  # fresh episodes, not the first ones
            print(f"{out}: resuming at {model.num_timesteps} steps", file=sys.stderr)
        remaining = budget - model.num_timesteps
        if remaining > 0:
            saver = Checkpointing(
                out / CHECKPOINT, env, config.checkpoint_every, curve, flag, model.num_timesteps
            )
            callbacks: list = [saver]
            if progress and not sys.stderr.isatty():
                callbacks.append(ProgressLines(budget))
            _learn(model, config, remaining, callbacks, progress)
            if flag.raised:
                saver.save()
                env.close()
                raise TrainingInterrupted(saver.trained, out)
            save_checkpoint(out / CHECKPOINT, model, env, model.num_timesteps, curve)
        text = "env_steps,mean_return\n" + "".join(f"{s},{r}\n" for s, r in curve)
        write_atomic(out / "curve.csv", lambda tmp: tmp.write_text(text))
        save_model(model, out)
        save_obs_norm(env, out / OBS_NORM)
        env.close()
    return out


def trained_steps(run: str | Path) -> int:
    """The env steps a finished run trained on (from its ``policy.json``)."""
    return int(json.loads((Path(run) / "policy.json").read_text())["num_timesteps"])


def load_run(
    run: str | Path, trust_pickle: bool = False
) -> tuple[TrainConfig, Any, dict[str, np.ndarray]]:
    """Load a finished run: its config, its SB3 model and its observation statistics.

    Args:
        run: The run folder.
        trust_pickle: Also read a pickled ``policy.zip`` of an older simreal (runs its code).

    Raises:
        RunError: For a missing, truncated, foreign or (untrusted) pickled run folder.
    """
    run = Path(run)
    config_path, norm = run / CONFIG, run / OBS_NORM
    for path in (config_path, norm):
        if not path.is_file():
            raise RunError(f"{run} is not a finished simreal run: {path.name} is missing.")
    if not has_model(run):
        raise RunError(f"{run} is not a finished simreal run: policy.json is missing.")
    try:
        document = json.loads(config_path.read_text())
        if document.get("kind") == "bc_gaussian":  # a cloned Gaussian head is a PPO policy
            config = TrainConfig(document["task"], "ppo", 1, document.get("seed", 0))
        else:
            config = TrainConfig(**document)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise RunError(f"{config_path}: not a simreal run config ({error}).") from None
    model = load_model(run, config.algo, trust_pickle=trust_pickle)
    try:
        with np.load(norm, allow_pickle=False) as data:
            stats = {k: np.array(data[k]) for k in data.files}
    except (OSError, ValueError) as error:
        raise RunError(
            f"{norm}: cannot read the normalisation ({type(error).__name__}); rerun the "
            "command that wrote the run."
        ) from None
    return config, model, stats
