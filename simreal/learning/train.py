"""Train PPO or SAC (Stable-Baselines3) under domain randomization, resumably.

A run folder holds everything needed to evaluate or resume it::

    runs/x/config.json          task, algorithm, spec, width, seed, steps, envs
    runs/x/policy.zip           the final SB3 model
    runs/x/obs_norm.npz         observation normalisation (mean, var, count, clip)
    runs/x/checkpoints/         the latest checkpoint (model + normalisation), for resuming
    runs/x/tb/                  TensorBoard logs

Observation statistics are stored as plain arrays rather than SB3's pickled
``VecNormalize``, so loading a run executes no pickled code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simreal.atomic_io import write_atomic, write_json_atomic

ALGORITHMS = ("ppo", "sac")
CONFIG = "config.json"
POLICY = "policy.zip"
OBS_NORM = "obs_norm.npz"
CHECKPOINT = "checkpoints"


class RunError(ValueError):
    """A run folder is missing, truncated or belongs to another run; the message says which."""


@dataclass(frozen=True)
class TrainConfig:
    """What a run trains.

    Attributes:
        task: Env id.
        algo: ``ppo`` or ``sac``.
        steps: Total env steps.
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


def save_obs_norm(venv: Any, path: Path) -> None:  # noqa: ANN401
    """Store a ``VecNormalize``'s observation statistics as arrays (atomic)."""
    rms = venv.obs_rms
    arrays = {
        "mean": rms.mean,
        "var": rms.var,
        "count": np.array(rms.count),
        "clip_obs": np.array(venv.clip_obs),
        "epsilon": np.array(venv.epsilon),
    }
    write_atomic(path, lambda tmp: np.savez(tmp, **arrays))


def load_obs_norm(venv: Any, path: Path) -> None:  # noqa: ANN401
    """Load statistics saved by :func:`save_obs_norm` into a ``VecNormalize``."""
    with np.load(path, allow_pickle=False) as data:
        if data["mean"].shape != venv.obs_rms.mean.shape:
            raise RunError(
                f"{path}: normalisation for observations of shape {data['mean'].shape}, "
                f"the env has {venv.obs_rms.mean.shape}."
            )
        venv.obs_rms.mean, venv.obs_rms.var = data["mean"], data["var"]
        venv.obs_rms.count = float(data["count"])
        venv.clip_obs, venv.epsilon = float(data["clip_obs"]), float(data["epsilon"])


def _algorithm(name: str):  # noqa: ANN202
    from stable_baselines3 import PPO, SAC

    return {"ppo": PPO, "sac": SAC}[name]


def _make_env(config: TrainConfig, threads: int | None = None) -> Any:  # noqa: ANN401
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from simreal.vector.make_vec import make_vec

    venv = make_vec(config.task, config.n_envs, dr=config.dr, width=config.width, n_threads=threads)
    venv.seed(config.seed)
    return VecNormalize(VecMonitor(venv), norm_obs=True, norm_reward=False)


def train(
    config: TrainConfig, out: str | Path, progress: bool = True, threads: int | None = None
) -> Path:
    """Train, checkpointing as it goes; rerunning the same command resumes the run.

    Args:
        config: What to train.
        out: The run folder.
        progress: Show SB3's progress bar.
        threads: Simulation threads (default: all cores); results do not depend on it.

    Returns:
        The run folder.

    Raises:
        RunError: If ``out`` holds a different run.
    """
    from stable_baselines3.common.callbacks import BaseCallback

    out = Path(out)
    config_path = out / CONFIG
    if config_path.exists():
        previous = json.loads(config_path.read_text())
        # The same run may be extended to more steps; anything else is another run.
        if {**previous, "steps": config.steps} != asdict(config):
            raise RunError(
                f"{out} holds another run ({previous['task']}, {previous['algo']}, "
                f"seed {previous['seed']}); choose another --out or delete it."
            )
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(config_path, asdict(config))
    env = _make_env(config, threads)
    algo = _algorithm(config.algo)
    checkpoint = out / CHECKPOINT / POLICY
    if checkpoint.exists():
        model = algo.load(checkpoint, env=env, device="cpu")
        load_obs_norm(env, out / CHECKPOINT / OBS_NORM)
    else:
        model = algo(
            "MlpPolicy",
            env,
            seed=config.seed,
            device="cpu",
            tensorboard_log=str(out / "tb"),
            **config.algo_kwargs,
        )
    remaining = config.steps - model.num_timesteps
    curve = _read_curve(out)
    if remaining > 0:

        class Checkpoint(BaseCallback):
            """Save model and normalisation atomically every ``checkpoint_every`` steps."""

            def __init__(self) -> None:
                super().__init__()
                self.last = model.num_timesteps

            def _on_step(self) -> bool:
                if self.num_timesteps - self.last >= config.checkpoint_every:
                    self.last = self.num_timesteps
                    _save(model, env, out / CHECKPOINT)
                    _write_curve(out, curve)
                return True

            def _on_rollout_end(self) -> None:
                episodes = [info["r"] for info in model.ep_info_buffer]
                if episodes:
                    curve.append((self.num_timesteps, float(np.mean(episodes))))

        model.learn(
            remaining,
            callback=Checkpoint(),
            reset_num_timesteps=False,
            tb_log_name="run",
            progress_bar=progress,
        )
        _save(model, env, out / CHECKPOINT)
    _write_curve(out, curve)
    _save(model, env, out)
    env.close()
    return out


def _read_curve(out: Path) -> list[tuple[int, float]]:
    path = out / "curve.csv"
    if not path.is_file():
        return []
    rows = [line.split(",") for line in path.read_text().splitlines()[1:] if line]
    return [(int(a), float(b)) for a, b in rows]


def _write_curve(out: Path, curve: list[tuple[int, float]]) -> None:
    """``curve.csv``: env steps and the mean return of the last 100 episodes, per rollout."""
    text = "env_steps,mean_return\n" + "".join(f"{s},{r}\n" for s, r in curve)
    write_atomic(out / "curve.csv", lambda tmp: tmp.write_text(text))


def _save(model: Any, env: Any, folder: Path) -> None:  # noqa: ANN401
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / POLICY, lambda tmp: model.save(tmp))
    save_obs_norm(env, folder / OBS_NORM)


def load_run(run: str | Path) -> tuple[TrainConfig, Any, dict[str, np.ndarray]]:
    """Load a finished run: its config, its SB3 model and its observation statistics.

    Raises:
        RunError: For a missing, truncated or foreign run folder.
    """
    run = Path(run)
    config_path, policy, norm = run / CONFIG, run / POLICY, run / OBS_NORM
    for path in (config_path, policy, norm):
        if not path.is_file():
            raise RunError(f"{run} is not a finished simreal run: {path.name} is missing.")
    try:
        document = json.loads(config_path.read_text())
        if document.get("kind") == "bc_gaussian":  # a cloned Gaussian head is a PPO policy
            config = TrainConfig(document["task"], "ppo", 1, document.get("seed", 0))
        else:
            config = TrainConfig(**document)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise RunError(f"{config_path}: not a simreal run config ({error}).") from None
    try:
        model = _algorithm(config.algo).load(policy, device="cpu")
    except Exception as error:  # noqa: BLE001 - any load failure is a broken file
        raise RunError(
            f"{policy}: cannot load the policy ({type(error).__name__}); it is "
            "truncated or not an SB3 model."
        ) from None
    with np.load(norm, allow_pickle=False) as data:
        stats = {k: np.array(data[k]) for k in data.files}
    return config, model, stats
