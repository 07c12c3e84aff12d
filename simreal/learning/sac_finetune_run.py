"""Run a BC -> SAC fine-tune resumably: build, initialise, train, checkpoint, write the run.

A fine-tune folder is a ``simreal train`` run (``simreal eval`` loads it) plus::

    finetune.json          settings, the source, the actor's initialisation, what ran
    curve.csv              one row per training episode: env steps, return, success
    target_episodes.txt    one line per training episode, on disk as it starts

Ctrl-C writes a checkpoint and raises :class:`~simreal.learning.train.TrainingInterrupted`;
rerunning the same command resumes from the newest checkpoint (after a kill, too).
The episode budget is counted from ``target_episodes.txt``, not from the
checkpoint: an episode that ran after the last checkpoint was still an episode
on the target, so a resumed run has that many fewer. A resumed run starts a fresh
episode on every env; when the budget has fewer left than that, the run ends at
its newest checkpoint without another step on the target.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.obs_norm import OBS_NORM, load_obs_norm, save_obs_norm
from simreal.learning.policy_store import RunError
from simreal.learning.sac_finetune import (
    SACFinetuneConfig,
    check_source,
    load_demo_transitions,
    plan,
    source_datasets,
)
from simreal.learning.sac_finetune_folder import (
    CHECKPOINT,
    JOURNAL,
    can_step,
    check_folder,
    finished_record,
    folder_settings,
    journal_count,
)

DEFAULT_NET = [256, 256]


class EpisodeCurve(BaseCallback):
    """Every finished training episode: ``(env steps, return, success)``.

    Args:
        points: The list to append to (restored from a checkpoint on resume).
    """

    def __init__(self, points: list) -> None:
        super().__init__()
        self.points = points

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                success = float(bool(info.get("is_success", False)))
                self.points.append([int(self.num_timesteps), float(info["episode"]["r"]), success])
        return True

    def csv(self) -> str:
        """``env_steps,return,success`` lines."""
        rows = "".join(f"{s},{r},{int(k)}\n" for s, r, k in self.points)
        return "env_steps,return,success\n" + rows


def _sac_kwargs(config: SACFinetuneConfig, kind: str, source: Any, n_envs: int) -> dict:  # noqa: ANN401
    kwargs = copy.deepcopy(config.algo_kwargs)
    if kind == "sac":
        kwargs["policy_kwargs"] = copy.deepcopy(source.policy_kwargs)
    elif "policy_kwargs" not in kwargs:
        arch = source.policy_kwargs.get("net_arch", DEFAULT_NET)
        arch = arch.get("pi", DEFAULT_NET) if isinstance(arch, dict) else arch
        kwargs["policy_kwargs"] = {"net_arch": list(arch)}
    kwargs.setdefault("ent_coef", "auto_0.01")
    # SB3 acts uniformly at random until learning_starts: the policy being fine-tuned must act
    # from the first step (on a robot above all), and the demonstrations fill the batches.
    kwargs.setdefault("learning_starts", 0)
    kwargs.update(train_freq=1, gradient_steps=config.utd * n_envs)
    return kwargs


def _policy_class(config: SACFinetuneConfig, kind: str, source: Any) -> Any:  # noqa: ANN401
    from simreal.learning.sac_policy import LayerNormSACPolicy

    if kind == "sac":
        return type(source.policy)  # the source's critics, as they are
    return LayerNormSACPolicy if config.layer_norm else "MlpPolicy"


def _initialise(model: Any, kind: str, source: Any, demos: dict | None, env: Any,  # noqa: ANN401
                config: SACFinetuneConfig) -> dict:  # fmt: skip
    """Start the actor from the source; returns how (for ``finetune.json``)."""
    from simreal.learning.actor_init import distil_gaussian

    if kind == "sac":
        model.policy.load_state_dict(source.policy.state_dict())
        if source.log_ent_coef is not None and model.log_ent_coef is not None:
            model.log_ent_coef.data.copy_(source.log_ent_coef.data)
        return {"from": "sac", "copied": ["actor", "critic", "critic_target"]}
    if demos is None:
        raise RunError(
            f"distilling a {kind} policy into SAC's actor needs demonstration states; give "
            "--demos (a simreal collect dataset)."
        )
    observations = env.normalize_obs(demos["obs"]).astype(np.float32)
    error = distil_gaussian(model, source.policy, observations, config.init_std, config.seed)
    return {"from": kind, "distilled_on": len(observations), "action_mse": error}


def _target_entropy(model: Any, config: SACFinetuneConfig) -> float | None:  # noqa: ANN401
    """Set and return the entropy SAC tunes towards (``None``: a fixed coefficient)."""
    from simreal.learning.demo_regulariser import clone_entropy

    if getattr(model, "log_ent_coef", None) is None:
        return None
    why = "SB3's -dim(A)"
    if config.target_entropy == "clone" and model.replay_buffer.demos is not None:
        model.target_entropy = clone_entropy(model)
        why = "the started actor's, on the demonstration states"
    elif config.target_entropy == "clone":
        why = "SB3's -dim(A): no demonstrations to measure the clone's on"
    elif not isinstance(config.target_entropy, str):
        model.target_entropy = float(config.target_entropy)
        why = "as given"
    print(f"target entropy {float(model.target_entropy):.2f} nats ({why})", file=sys.stderr)
    return float(model.target_entropy)


def finetune_sac(
    config: SACFinetuneConfig,
    source_run: str | Path,
    out: str | Path,
    trust_pickle: bool = False,
    progress: bool = True,
) -> Path:
    """Fine-tune a run with SAC, demonstrations in every batch; write a run folder.

    Args:
        config: What to fine-tune on and the budget.
        source_run: A Gaussian BC run, a PPO run or a SAC run.
        out: The run folder (rerunning the same command resumes it).
        trust_pickle: Also read a pickled ``policy.zip`` of an older simreal (runs its code).
        progress: Print progress lines on stderr.

    Returns:
        The run folder.

    Raises:
        RunError: For a source or demonstrations that do not fit the task, or an ``out``
            that holds another run.
        TrainingInterrupted: On Ctrl-C, after writing a checkpoint.
    """
    import torch
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from simreal.learning.budget import EpisodeBudget
    from simreal.learning.checkpoint import (
        checkpoint_extra,
        checkpoint_tensors,
        latest_checkpoint,
        restore_checkpoint,
        save_checkpoint,
    )
    from simreal.learning.demo_anchor import DemoAnchor
    from simreal.learning.demo_buffer import DemoReplayBuffer
    from simreal.learning.demo_regulariser import QFilteredBC
    from simreal.learning.policy_store import save_model
    from simreal.learning.remedies import OffPolicyCriticWarmup
    from simreal.learning.train import TrainingInterrupted
    from simreal.learning.train_callbacks import Checkpointing, ProgressLines, SigintFlag
    from simreal.vector.make_vec import make_vec

    source_run, out = Path(source_run), Path(out)
    kind, source = check_source(source_run, config.task, trust_pickle)
    bound, n_envs = plan(config)
    demo_paths = config.demos or source_datasets(source_run)
    settings = folder_settings(config, source_run, demo_paths)
    check_folder(out, settings)
    low = source.action_space.low.astype(np.float64)
    high = source.action_space.high.astype(np.float64)
    demos = load_demo_transitions(
        demo_paths, config.task, low, high, source.observation_space.shape[0]
    )
    if config.bc_anchor > 0 and demos is None:
        raise RunError(
            f"--bc-anchor pulls the actor towards demonstrations, and {source_run} names none; "
            "give --demos (a simreal collect dataset)."
        )
    if finished_record(out) is not None:
        return out  # finished: the same command again changes nothing
    steps_left = can_step(config, out, n_envs)
    used = journal_count(out / JOURNAL)
    with SigintFlag() as flag:
        out.mkdir(parents=True, exist_ok=True)
        record = out / "finetune.json"
        if not record.is_file():
            write_json_atomic(record, {"settings": settings, "ran": None})
        venv = make_vec(config.task, n_envs, dr=config.dr, width=config.width)
        venv.seed(config.seed)
        env = VecNormalize(VecMonitor(venv), norm_obs=True, norm_reward=False)
        load_obs_norm(env, source_run / OBS_NORM)
        env.training = False  # frozen: the statistics the source policy was trained with
        model = SAC(
            _policy_class(config, kind, source),
            env,
            seed=config.seed,
            device="cpu",
            tensorboard_log=str(out / "tb"),
            replay_buffer_class=DemoReplayBuffer,
            replay_buffer_kwargs={"demos": demos, "demo_fraction": config.demo_fraction},
            **_sac_kwargs(config, kind, source, n_envs),
        )
        latest = latest_checkpoint(out / CHECKPOINT)
        if latest is None:
            init = _initialise(model, kind, source, demos, env, config)
            state = {"init": init, "curve": [], "frozen": 0, "trained": 0, "demo_draws": 0,
                     "online_draws": 0, "bc_updates": 0, "bc_kept": 0, "bc_seen": 0,
                     "anchor_updates": 0,
                     "target_entropy": _target_entropy(model, config)}  # fmt: skip
        else:
            restore_checkpoint(latest, model, env)
            env.training = False
            env.seed(1_000_000 * (config.seed + 1) + model.num_timesteps)  # fresh, not eval seeds
            state = {"bc_updates": 0, "bc_kept": 0, "bc_seen": 0, "anchor_updates": 0,
                     **checkpoint_extra(latest)}  # fmt: skip
            print(f"{out}: resuming at {model.num_timesteps} steps", file=sys.stderr)
            if not steps_left:
                print(
                    f"{out}: {used} of its {config.episodes} target episodes were used before "
                    f"it stopped; it ends at {model.num_timesteps} steps without another one",
                    file=sys.stderr,
                )
        if state.get("target_entropy") is not None:
            model.target_entropy = float(state["target_entropy"])
            if latest is not None:
                print(f"target entropy {model.target_entropy:.2f} nats (from the checkpoint)",
                      file=sys.stderr)  # fmt: skip
        start = [p.detach().clone() for p in model.actor.parameters()]
        buffer = model.replay_buffer
        warmup = OffPolicyCriticWarmup(config.critic_warmup)
        bc = QFilteredBC(config.critic_warmup, config.utd * n_envs, model.batch_size,
                         model.lr_schedule(1.0))  # fmt: skip
        if latest is not None:  # the BC step's Adam moments, as the checkpoint left them
            try:
                bc.load_state_dict((checkpoint_tensors(latest) or {}).get("qfilter_bc", {}),
                                   model.actor)  # fmt: skip
            except (ValueError, AttributeError) as error:
                raise RunError(f"{latest}: {error}; delete it to resume from scratch.") from None
        anchor = DemoAnchor(config.bc_anchor, model.batch_size) if config.bc_anchor > 0 else None
        curve = EpisodeCurve(state["curve"])

        def extra() -> dict:
            return {**state, "curve": curve.points,
                    "frozen": state["frozen"] + warmup.frozen_updates,
                    "trained": state["trained"] + warmup.actor_updates,
                    "demo_draws": state["demo_draws"] + buffer.demo_draws,
                    "online_draws": state["online_draws"] + buffer.online_draws,
                    "bc_updates": state["bc_updates"] + bc.updates,
                    "bc_kept": state["bc_kept"] + bc.kept,
                    "bc_seen": state["bc_seen"] + bc.seen,
                    "anchor_updates": state["anchor_updates"]
                    + (anchor.updates if anchor else 0)}  # fmt: skip

        saver = Checkpointing(out / CHECKPOINT, env, config.checkpoint_every, [], flag,
                              model.num_timesteps, record_curve=False, extra=extra,
                              tensors=lambda: {"qfilter_bc": bc.state_dict()})  # fmt: skip
        callbacks: list = [saver, warmup, curve]
        if config.qfilter_bc and demos is not None:
            callbacks.append(bc)  # after the warm-up's: it unfreezes the actor first
        if anchor is not None:
            callbacks.append(anchor)
        budget = None
        if config.episodes is not None and steps_left:
            budget = EpisodeBudget(config.episodes, bound, used=used, journal=out / JOURNAL)
            callbacks.append(budget)
        if progress and not sys.stderr.isatty():
            callbacks.append(ProgressLines(bound))
        remaining = bound - model.num_timesteps if steps_left else 0
        if remaining > 0 and not flag.raised:  # Ctrl-C while building: no step on the target
            bar = progress and sys.stderr.isatty()
            model.learn(remaining, callback=CallbackList(callbacks), reset_num_timesteps=False,
                        tb_log_name="run", progress_bar=bar)  # fmt: skip
        if flag.raised:
            saver.save()
            env.close()
            raise TrainingInterrupted(saver.trained, out)
        final = extra()
        episodes_used = used if config.episodes is not None else None  # ended at a checkpoint
        save_checkpoint(out / CHECKPOINT, model, env, model.num_timesteps, [], final,
                        {"qfilter_bc": bc.state_dict()})  # fmt: skip
        changed = any(not torch.equal(a, b)
                      for a, b in zip(start, model.actor.parameters(), strict=True))  # fmt: skip
        ran = {
            "env_steps": int(model.num_timesteps),
            "training_episodes": budget.started if budget else episodes_used,
            "finished_episodes": len(curve.points),
            "gradient_steps": (final["frozen"] + final["trained"]) * model.gradient_steps,
            "updates_actor_frozen": final["frozen"] * model.gradient_steps,
            "demo_transitions": buffer.demo_size,
            "demo_draws": final["demo_draws"],
            "online_draws": final["online_draws"],
            "target_entropy": final["target_entropy"],
            "qfilter_bc_updates": final["bc_updates"],
            "qfilter_bc_kept": final["bc_kept"] / max(final["bc_seen"], 1),
            "bc_anchor_updates": final["anchor_updates"],
            "policy_changed": changed or latest is not None,
        }
        write_json_atomic(out / "config.json", {
            "task": config.task, "algo": "sac", "steps": int(model.num_timesteps),
            "seed": config.seed, "n_envs": n_envs, "dr": config.dr, "width": config.width,
            "checkpoint_every": config.checkpoint_every, "algo_kwargs": {},
        })  # fmt: skip
        save_model(model, out)
        save_obs_norm(env, out / OBS_NORM)
        write_atomic(out / "curve.csv", lambda tmp: tmp.write_text(curve.csv()))
        document = {"settings": settings, "algo": "sac", "from": str(source_run),
                    "demos": list(demo_paths), "actor_init": final["init"],
                    "ran": ran}  # fmt: skip
        write_json_atomic(record, document)
        env.close()
    return out
