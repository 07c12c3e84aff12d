"""BC -> RL: start PPO from a behaviour-cloned Gaussian policy and fine-tune it.

The known failure: returns collapse in the first PPO updates, because the value
head starts random (its advantages are noise) and behaviour cloning drives the
log-std so low that PPO stops exploring. Three remedies, each optional:

* **critic warm-up**: for the first ``critic_warmup`` env steps the actor is
  frozen and only the value head learns from the BC policy's own rollouts;
* **log-std reset and floor**: the log-std starts at ``log(init_std)`` and is
  clamped at ``log(min_std)`` after every update (both in action units,
  relative to each dimension's half-range);
* **decaying BC regularisation**: after every PPO update, a gradient step on
  ``bc_weight * decay**k * |mean(s) - mean_BC(s)|^2`` over the rollout's states.

The run folder is a ``simreal train`` run (``simreal eval`` loads it) plus
``curve.csv``: env steps, mean episode return of the last rollouts.
Observation normalisation is the BC dataset's, frozen, so that the cloned
policy sees the inputs it was trained on.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.train import (
    CHECKPOINT,
    OBS_NORM,
    POLICY,
    RunError,
    load_obs_norm,
    save_obs_norm,
)


@dataclass(frozen=True)
class FinetuneConfig:
    """BC -> RL settings.

    Attributes:
        task: The env to fine-tune on (a real proxy for fine-tuning on the target).
        steps: PPO env steps.
        seed: Seed.
        n_envs: Parallel envs.
        dr: DR spec dict (``None`` for none).
        width: Global width.
        critic_warmup: Env steps with the actor frozen (0: off).
        init_std: Initial action std as a fraction of the half-range (``None``: keep BC's).
        min_std: Floor of the action std as a fraction of the half-range (0: off).
        bc_weight: Initial weight of the BC regulariser (0: off).
        bc_decay: Its decay per PPO update.
        algo_kwargs: PPO keyword arguments.
    """

    task: str
    steps: int
    seed: int = 0
    n_envs: int = 8
    dr: dict | None = None
    width: float = 1.0
    critic_warmup: int = 0
    init_std: float | None = 0.1
    min_std: float = 0.02
    bc_weight: float = 1.0
    bc_decay: float = 0.9
    algo_kwargs: dict | None = None


def finetune(config: FinetuneConfig, bc_run: str | Path, out: str | Path) -> Path:
    """Fine-tune a ``simreal bc --head gaussian`` run with PPO; write a run folder and its curve.

    Raises:
        RunError: If ``bc_run`` is not a Gaussian BC run (or a PPO run) of a task with
            the same spaces.
    """
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from simreal.learning.bc import read_run_kind
    from simreal.vector.make_vec import make_vec

    bc_run, out = Path(bc_run), Path(out)
    if read_run_kind(bc_run) not in ("bc_gaussian", "rl"):
        raise RunError(
            f"{bc_run} is not a Gaussian BC run or a PPO run; clone with --head gaussian."
        )
    try:
        source = PPO.load(bc_run / POLICY, device="cpu")
    except Exception as error:  # noqa: BLE001
        raise RunError(
            f"{bc_run / POLICY}: cannot load a PPO policy ({type(error).__name__})."
        ) from None
    venv = make_vec(config.task, config.n_envs, dr=config.dr, width=config.width)
    venv.seed(config.seed)
    env = VecNormalize(VecMonitor(venv), norm_obs=True, norm_reward=False)
    load_obs_norm(env, bc_run / OBS_NORM)
    env.training = False  # frozen: the cloned policy's input statistics
    if env.observation_space.shape != source.observation_space.shape:
        raise RunError(
            f"{bc_run} was cloned for observations {source.observation_space.shape}; "
            f"{config.task} has {env.observation_space.shape}."
        )
    kwargs = {"policy_kwargs": source.policy_kwargs, **(config.algo_kwargs or {})}
    model = PPO(
        "MlpPolicy", env, seed=config.seed, device="cpu", tensorboard_log=str(out / "tb"), **kwargs
    )
    model.policy.load_state_dict(source.policy.state_dict())
    reference = copy.deepcopy(model.policy).eval()
    half_range = torch.as_tensor(
        (env.action_space.high - env.action_space.low) / 2, dtype=torch.float32
    )
    log_std = model.policy.log_std
    if config.init_std is not None:
        with torch.no_grad():
            log_std.copy_(torch.log(config.init_std * half_range))
    floor = torch.log(config.min_std * half_range) if config.min_std > 0 else None
    actor = [p for name, p in model.policy.named_parameters() if "value" not in name]
    regulariser = torch.optim.Adam(actor, lr=1e-4)
    curve: list[tuple[int, float]] = []

    class Remedies(BaseCallback):
        """Critic warm-up, log-std floor, BC regularisation, learning curve."""

        def __init__(self) -> None:
            super().__init__()
            self.updates = 0
            self._freeze(config.critic_warmup > 0)

        def _freeze(self, frozen: bool) -> None:
            for p in actor:
                p.requires_grad_(not frozen)

        def _on_step(self) -> bool:
            return True

        def _on_rollout_start(self) -> None:
            if self.num_timesteps >= config.critic_warmup:
                self._freeze(False)
            if floor is not None:
                with torch.no_grad():
                    log_std.clamp_(min=floor)
            weight = config.bc_weight * config.bc_decay**self.updates
            buffer = model.rollout_buffer
            if weight > 1e-6 and buffer.full and self.num_timesteps >= config.critic_warmup:
                obs = torch.as_tensor(buffer.observations.reshape(-1, *env.observation_space.shape))
                with torch.no_grad():
                    target = reference.get_distribution(obs).distribution.mean
                mean = model.policy.get_distribution(obs).distribution.mean
                loss = weight * ((mean - target) ** 2).mean()
                regulariser.zero_grad()
                loss.backward()
                regulariser.step()
            self.updates += 1

        def _on_rollout_end(self) -> None:
            episodes = [info["r"] for info in model.ep_info_buffer]
            if episodes:
                curve.append((self.num_timesteps, float(np.mean(episodes))))

    model.learn(config.steps, callback=Remedies(), tb_log_name="run", progress_bar=False)
    out.mkdir(parents=True, exist_ok=True)
    train_config = {
        "task": config.task,
        "algo": "ppo",
        "steps": config.steps,
        "seed": config.seed,
        "n_envs": config.n_envs,
        "dr": config.dr,
        "width": config.width,
        "checkpoint_every": config.steps,
        "algo_kwargs": config.algo_kwargs or {},
    }
    write_json_atomic(out / "config.json", train_config)
    write_json_atomic(out / "finetune.json", {**asdict(config), "from": str(bc_run)})
    write_atomic(out / POLICY, lambda tmp: model.save(tmp))
    save_obs_norm(env, out / OBS_NORM)
    (out / CHECKPOINT).mkdir(exist_ok=True)
    lines = "env_steps,mean_return\n" + "".join(f"{s},{r}\n" for s, r in curve)
    write_atomic(out / "curve.csv", lambda tmp: tmp.write_text(lines))
    env.close()
    return out
