"""DAgger (Ross, Gordon & Bagnell 2011): behaviour cloning that visits its own mistakes.

Plain behaviour cloning learns on the expert's states only; at run time its
small errors lead it to states the expert never visited, where it was never
taught (covariate shift). DAgger rolls out a mixture — the expert with
probability ``beta_i``, the current learner otherwise — labels every visited
state with the expert's action, aggregates the labels into one dataset and
retrains. ``beta`` starts at 1 (iteration 0 is plain BC on expert rollouts)
and decays geometrically.

Each iteration's dataset and policy are written under the output folder; the
final policy is ``out/policy`` (a ``simreal bc`` run folder).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import gymnasium as gym
import numpy as np

from simreal.atomic_io import write_json_atomic
from simreal.datasets.tables import write_columns
from simreal.learning.bc import BCConfig, train_bc


@dataclass(frozen=True)
class DaggerConfig:
    """DAgger settings.

    Attributes:
        bc: How each iteration's policy is cloned (task and head included).
        iterations: Aggregation rounds after the initial expert round.
        episodes: Episodes rolled out (and labelled) per round.
        beta_decay: ``beta_i = beta_decay ** i``; round 0 is the expert alone.
        seed: Seed of the rollouts and of the mixture.
    """

    bc: BCConfig
    iterations: int = 4
    episodes: int = 10
    beta_decay: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.iterations < 0 or self.episodes < 1 or not 0 <= self.beta_decay <= 1:
            raise ValueError("iterations must be >= 0, episodes >= 1 and beta_decay in [0, 1].")


def _rollouts(env: gym.Env, expert: object, learner: object | None, beta: float, episodes: int,
              seed: int, rng: np.random.Generator) -> tuple[list, list, list]:  # fmt: skip
    """Mixture rollouts; every visited state is labelled with the expert's action."""
    observations, labels, episode_index = [], [], []
    for episode in range(episodes):
        obs, info = env.reset(seed=seed + episode)
        for actor in (expert, learner):
            if hasattr(actor, "reset"):
                actor.reset()
        done = False
        while not done:
            label = np.asarray(expert(info["state"]), np.float64)
            observations.append(obs)
            labels.append(label)
            episode_index.append(episode)
            use_expert = learner is None or rng.random() < beta
            action = label if use_expert else np.asarray(learner(obs), np.float64)
            obs, _, terminated, truncated, info = env.step(action.astype(np.float32))
            done = terminated or truncated
    return observations, labels, episode_index


def dagger(config: DaggerConfig, out: str | Path, progress: bool = True) -> Path:
    """Run DAgger with the task's expert as labeller; returns the final policy's run folder."""
    import simreal  # noqa: F401
    from simreal.envs.registry import make_expert
    from simreal.learning.evaluate import RunPolicy

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = gym.make(config.bc.task)
    expert = make_expert(config.bc.task)
    rng = np.random.default_rng(config.seed)
    observations: list = []
    labels: list = []
    episodes: list = []
    learner = None
    history = []
    for i in range(config.iterations + 1):
        beta = config.beta_decay**i if i > 0 else 1.0
        seed = config.seed + 1000 * i
        obs, lab, ep = _rollouts(env, expert, learner, beta, config.episodes, seed, rng)
        offset = (max(episodes) + 1) if episodes else 0
        observations += obs
        labels += lab
        episodes += [e + offset for e in ep]
        o, a = np.array(observations), np.array(labels)
        columns = {"episode_index": np.array(episodes, np.int64)}
        columns.update({f"obs:{k}": o[:, k] for k in range(o.shape[1])})
        columns.update({f"action:{k}": a[:, k] for k in range(a.shape[1])})
        data = write_columns(columns, out / f"round_{i}.parquet")
        run = train_bc(replace(config.bc, seed=config.bc.seed + i), data, out / f"round_{i}",
                       progress=False)  # fmt: skip
        learner = RunPolicy(run)
        history.append({"round": i, "beta": beta, "samples": len(labels)})
        if progress:
            print(f"DAgger round {i}: beta {beta:.3g}, {len(labels)} labelled states", flush=True)
    final = out / "policy"
    if final.exists():
        shutil.rmtree(final)
    shutil.copytree(out / f"round_{config.iterations}", final)
    write_json_atomic(out / "dagger.json", {"rounds": history, "episodes": config.episodes,
                                            "beta_decay": config.beta_decay})  # fmt: skip
    env.close()
    return final


def on_policy_error(policy: object, env_id: str, episodes: int = 10, seed: int = 50_000) -> float:
    """Return the covariate-shift error of a policy.

    That is the mean squared action error against the expert on the policy's own
    state distribution (its rollouts), with actions normalised by the half-range.
    """
    import simreal  # noqa: F401
    from simreal.envs.registry import make_expert

    env = gym.make(env_id)
    expert = make_expert(env_id)
    half = (env.action_space.high - env.action_space.low) / 2
    errors = []
    for episode in range(episodes):
        obs, info = env.reset(seed=seed + episode)
        if hasattr(policy, "reset"):
            policy.reset()
        done = False
        while not done:
            action = np.asarray(policy(obs), np.float64)
            errors.append(np.mean(((action - np.asarray(expert(info["state"]))) / half) ** 2))
            obs, _, terminated, truncated, info = env.step(action.astype(np.float32))
            done = terminated or truncated
    env.close()
    return float(np.mean(errors))
