"""Evaluate a trained run (or a task's expert) on a task or a real proxy."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from simreal.learning.train import RunError, load_run
from simreal.rollout import run_episodes
from simreal.stats import mean_ci, wilson_interval


@dataclass(frozen=True)
class Evaluation:
    """Returns and successes of a policy on one env, with 95% intervals."""

    policy: str
    env_id: str
    episodes: int
    mean_return: float
    return_ci95: float
    success_rate: float
    success_ci95: tuple[float, float]

    def to_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)

    def row(self) -> str:
        """One table row."""
        low, high = self.success_ci95
        return (
            f"| {self.policy} | {self.env_id} | {self.episodes} | {self.mean_return:.2f} ± "
            f"{self.return_ci95:.2f} | {self.success_rate:.0%} [{low:.0%}, {high:.0%}] |"
        )


class RunPolicy:
    """A trained or cloned run as an ``obs -> action`` callable (normalised, deterministic).

    Loads ``simreal train`` runs (PPO/SAC), ``simreal bc`` runs of every head and pixel
    students (``simreal dagger``), whose ``env_kwargs`` say which observations they take.

    Args:
        run: The run folder.
        trust_pickle: Also load a pickled ``policy.zip`` of an older simreal (runs its code).

    Raises:
        RunError: For a missing, truncated or foreign run folder.
    """

    def __init__(self, run: str | Path, trust_pickle: bool = False) -> None:
        from simreal.learning.bc import ChunkPolicy, read_run_kind

        run = Path(run)
        self.kind = read_run_kind(run)
        self.chunked = None
        self.pixels = None
        self.env_kwargs: dict = {}
        if self.kind == "pixel_student":
            import pickle

            from simreal.learning.pixel_policy import PixelPolicy

            try:
                self.pixels = PixelPolicy(run)
            except (OSError, KeyError, ValueError, TypeError, RuntimeError,
                    pickle.UnpicklingError) as error:  # fmt: skip
                first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                raise RunError(
                    f"{run} is not a readable pixel student ({type(error).__name__}: {first}); "
                    "train it again with simreal dagger."
                ) from None
            self.env_kwargs = self.pixels.env_kwargs
            self.action_shape = self.pixels.low.shape
            return
        if self.kind in ("bc_tokens", "bc_flow"):
            import json

            norm = run / "obs_norm.npz"
            if not norm.is_file():
                raise RunError(f"{run} is not a finished simreal run: obs_norm.npz is missing.")
            with np.load(norm, allow_pickle=False) as data:
                stats = {k: np.array(data[k]) for k in data.files}
            try:
                self.chunked = ChunkPolicy(
                    run, json.loads((run / "config.json").read_text()), stats
                )
            except ValueError as error:
                raise RunError(str(error)) from None
            self.observation_shape = stats["mean"].shape
            self.action_shape = self.chunked.low.shape
            return
        self.config, self.model, stats = load_run(run, trust_pickle=trust_pickle)
        self.mean, self.var = stats["mean"], stats["var"]
        self.clip, self.epsilon = float(stats["clip_obs"]), float(stats["epsilon"])
        self.observation_shape = self.model.observation_space.shape
        self.action_shape = self.model.action_space.shape

    def reset(self) -> None:
        """Start an episode (clears a chunked policy's plan)."""
        if self.chunked is not None:
            self.chunked.reset()
        if self.pixels is not None:
            self.pixels.reset()

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """The policy's deterministic action."""
        if self.pixels is not None:
            return self.pixels(obs)
        if self.chunked is not None:
            return self.chunked(obs)
        scaled = (obs - self.mean) / np.sqrt(self.var + self.epsilon)
        normalised = np.clip(scaled, -self.clip, self.clip)
        action, _ = self.model.predict(normalised.astype(np.float32), deterministic=True)
        return action


def is_pixel_task(env_id: str) -> bool:
    """Whether ``env_id`` is a simreal task (or proxy) observed through its camera."""
    from simreal.envs.registry import task_for

    try:
        return task_for(env_id).kwargs.get("obs_type") == "pixels"
    except KeyError:
        return False


def make_for(actor: RunPolicy, policy: str | Path, env_id: str) -> gym.Env:
    """``env_id`` made to give the observations ``actor`` takes, or a sentence why not.

    Raises:
        RunError: A pixel policy on a state task, a state policy on a pixel task, or
            spaces that differ.
    """
    if actor.pixels is not None:
        size = actor.env_kwargs["image_size"]
        if not is_pixel_task(env_id):
            raise RunError(
                f"{policy} acts on {size}-pixel camera images; {env_id} gives state "
                "observations: evaluate it on a pixel task or its proxy (such as "
                "simreal/ReachPixels-v0, simreal/ReachPixelsReal-v0)."
            )
        env = gym.make(env_id, **actor.env_kwargs)
        joints = actor.pixels.config["proprio_dim"]
        has = env.observation_space["proprio"].shape[0] if joints else 0
        if env.action_space.shape != actor.action_shape or has != joints:
            env.close()
            raise RunError(
                f"{policy} was trained for actions {actor.action_shape} and {joints} "
                f"proprioceptive inputs; {env_id} has {env.action_space.shape} and {has}."
            )
        return env
    env = gym.make(env_id)
    if is_pixel_task(env_id):
        env.close()
        raise RunError(
            f"{policy} acts on state observations {actor.observation_shape}; {env_id} gives "
            "camera images: evaluate a pixel student (simreal dagger) there, or this policy "
            "on the state task."
        )
    if (
        env.observation_space.shape != actor.observation_shape
        or env.action_space.shape != actor.action_shape
    ):
        env.close()
        raise RunError(
            f"{policy} was trained on observations {actor.observation_shape} and actions "
            f"{actor.action_shape}; {env_id} has {env.observation_space.shape} and "
            f"{env.action_space.shape}."
        )
    return env


def evaluate(
    policy: str | Path,
    env_id: str,
    episodes: int = 20,
    seed: int = 10_000,
    trust_pickle: bool = False,
) -> Evaluation:
    """Evaluate a run folder, or ``"expert"`` (the task's controller), on ``env_id``.

    Episodes use seeds ``seed .. seed + episodes - 1`` (disjoint from training seeds
    by default), so two policies are compared on the same initial states.
    ``trust_pickle`` also loads a pickled ``policy.zip`` of an older simreal, running
    the code it holds.

    Raises:
        RunError: For a broken run, or an env whose spaces differ from the run's.
    """
    import simreal  # noqa: F401  (registers the tasks)

    if str(policy) == "expert":
        from simreal.envs.registry import make_expert

        env = gym.make(env_id)
        stats = run_episodes(env, make_expert(env_id), episodes, seed=seed, use_state=True)
    else:
        actor = RunPolicy(policy, trust_pickle=trust_pickle)
        env = make_for(actor, policy, env_id)
        stats = run_episodes(env, actor, episodes, seed=seed)
    env.close()
    mean, half = mean_ci(stats.returns)
    wins = int(stats.successes.sum())
    return Evaluation(
        str(policy),
        env_id,
        episodes,
        mean,
        half,
        stats.success_rate,
        wilson_interval(wins, episodes),
    )
