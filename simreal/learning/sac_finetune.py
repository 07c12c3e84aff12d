"""BC -> SAC with demonstrations in every batch: RLPD-style fine-tuning on SB3's SAC.

The recipe of Ball et al. (2023, "Efficient Online Reinforcement Learning with
Offline Data"), which HIL-SERL runs on real arms, built from SB3's parts:

* **symmetric sampling**: every batch half demonstrations, half online data
  (:class:`~simreal.learning.demo_buffer.DemoReplayBuffer`, SAC's
  ``replay_buffer_class``);
* **layer-normalised critics**
  (:class:`~simreal.learning.sac_policy.LayerNormSACPolicy`, given as SAC's policy);
* **several gradient steps per env step** (``utd``; SAC's ``gradient_steps``).

Where it departs from the paper, and why:

* the actor starts from the cloned policy (:mod:`~simreal.learning.actor_init`)
  and is frozen while the critic warms up
  (:class:`~simreal.learning.remedies.OffPolicyCriticWarmup`): RLPD starts from
  scratch, simreal's loop fine-tunes a clone ("imitation first, RL second");
* SB3's two critics (the minimum of both) instead of RLPD's ensemble of ten with a
  random pair per target, and ``utd`` 2 by default instead of 20: on a 2-core
  machine without a GPU those are what a run of minutes can afford;
* a small initial entropy coefficient (``auto_0.01``, still tuned by SAC) instead of
  1.0: a large one would first push the cloned policy towards noise;
* the coefficient is tuned towards the started actor's own entropy
  (``target_entropy="clone"``), not ``-dim(A)``, and a Q-filtered BC step on the
  demonstrations runs beside every update (``qfilter_bc``): without them a clone
  of a saturating expert lost its swing-up within 1,000 steps
  (:mod:`~simreal.learning.demo_regulariser` says why).

A source may be a Gaussian BC run (its actor distilled, its dataset the
demonstrations unless others are given), a PPO run (distilled) or a SAC run
(actor and critics copied, e.g. one fine-tuned in simulation before it is
fine-tuned on the target). Observations are normalised with the source's
statistics, frozen, so the source policy sees the inputs it was trained on.
The run is resumable (:mod:`~simreal.learning.sac_finetune_run`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simreal.learning.policy_store import RunError

MAX_EPISODES = 50
"""The most target episodes a fine-tune may use unless ``max_episodes`` says more."""
FINETUNE_HEADS = ("gaussian",)
"""BC heads that can be fine-tuned (the token and flow heads have no Gaussian actor)."""


@dataclass(frozen=True)
class SACFinetuneConfig:
    """BC -> SAC settings.

    Attributes:
        task: The env to fine-tune on (a real proxy for fine-tuning on the target).
        steps: Env steps, trained exactly (``None`` with ``episodes``).
        seed: Seed.
        n_envs: Parallel envs (a step budget is a multiple of them; an episode budget
            runs on the most of them that divide it).
        dr: DR spec dict (``None`` for none).
        width: Global width.
        demos: Demonstration datasets for the offline half of every batch (empty: the
            source's own dataset, if it has one).
        demo_fraction: Share of every batch drawn from the demonstrations (0.5: RLPD).
        utd: Gradient steps per env step (update-to-data ratio).
        critic_warmup: Env steps after ``learning_starts`` with the actor frozen.
        init_std: The distilled actor's std, a fraction of the half-range.
        layer_norm: Layer-normalised critics (RLPD); off: SB3's plain ``MlpPolicy``.
        target_entropy: The entropy SAC tunes its coefficient towards: ``"clone"``
            (the started actor's, measured on the demonstration states), ``"auto"``
            (SB3's ``-dim(A)``) or a number.
        qfilter_bc: A Q-filtered BC step on demonstrations beside every update.
        bc_anchor: Weight of a BC term on demonstrations inside every actor update,
            relative to the normalised Q term (TD3+BC's ``1 / lambda``; 0: off;
            :mod:`~simreal.learning.demo_anchor`).
        episodes: Training-episode budget instead of ``steps``.
        max_episodes: The most episodes ``episodes`` may be (a guard for hardware).
        checkpoint_every: Env steps between checkpoints.
        algo_kwargs: More SAC keyword arguments (``learning_rate``, ``batch_size``,
            ``learning_starts``, ``ent_coef``, ``policy_kwargs`` of a distilled actor).
    """

    task: str
    steps: int | None
    seed: int = 0
    n_envs: int = 1
    dr: dict | None = None
    width: float = 1.0
    demos: tuple[str, ...] = ()
    demo_fraction: float = 0.5
    utd: int = 2
    critic_warmup: int = 1000
    init_std: float = 0.1
    layer_norm: bool = True
    target_entropy: str | float = "clone"
    qfilter_bc: bool = True
    bc_anchor: float = 0.0
    episodes: int | None = None
    max_episodes: int = MAX_EPISODES
    checkpoint_every: int = 5000
    algo_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.episodes is None):
            raise ValueError("give either steps or episodes as the budget.")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}.")
        if self.episodes is not None and not 1 <= self.episodes <= self.max_episodes:
            raise ValueError(
                f"episodes must be between 1 and {self.max_episodes} (max_episodes), got "
                f"{self.episodes}."
            )
        if not 0.0 <= self.demo_fraction < 1.0:
            raise ValueError(f"demo_fraction must be in [0, 1), got {self.demo_fraction}.")
        for name in ("n_envs", "utd", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        entropy = self.target_entropy
        if (
            isinstance(entropy, str)
            and entropy not in ("clone", "auto")
            or (not isinstance(entropy, str) and not np.isfinite(entropy))
        ):
            raise ValueError(
                f"target_entropy must be 'clone', 'auto' or a finite number, got {entropy!r}."
            )
        if not (np.isfinite(self.bc_anchor) and self.bc_anchor >= 0):
            raise ValueError(f"bc_anchor must be a finite number >= 0, got {self.bc_anchor}.")
        if self.critic_warmup < 0 or self.init_std <= 0:
            raise ValueError("critic_warmup must be >= 0 and init_std > 0.")


def plan(config: SACFinetuneConfig) -> tuple[int, int]:
    """The step bound and the envs: ``steps`` on ``n_envs``, or whole episodes.

    An episode budget runs on the most envs, at most ``n_envs``, that divide it, and is
    bounded by ``episodes x`` the task's time limit (episodes that end early end it
    sooner: :class:`~simreal.learning.budget.EpisodeBudget`).

    Raises:
        ValueError: For an episode budget on a task without a time limit, or a step
            budget that is not a multiple of the envs.
    """
    from simreal.learning.budget import largest_divisor
    from simreal.learning.step_budget import check_step_budget

    if config.episodes is None:
        check_step_budget(config.steps, config.n_envs)
        return config.steps, config.n_envs
    from simreal.envs.registry import env_spec

    limit = env_spec(config.task).max_episode_steps
    if not limit:
        raise ValueError(f"{config.task} has no time limit; an episode budget needs one.")
    return config.episodes * limit, largest_divisor(config.episodes, config.n_envs)


def source_kind(run: Path) -> str:
    """``bc_gaussian``, ``ppo`` or ``sac``: what a run to fine-tune holds.

    Raises:
        RunError: For a folder that is not a run, or a BC head without a Gaussian actor.
    """
    path = Path(run) / "config.json"
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        raise RunError(f"{run} is not a simreal run: {path.name} is missing or broken.") from None
    kind = document.get("kind", "rl")
    if kind.startswith("bc_"):
        head = kind[3:]
        if head not in FINETUNE_HEADS:
            raise RunError(
                f"{run} is a BC run of the {head!r} head, which has no Gaussian actor to "
                f"fine-tune; RL fine-tunes the {', '.join(FINETUNE_HEADS)} head (clone with "
                "--head gaussian), PPO runs and SAC runs."
            )
        return "bc_gaussian"
    algo = document.get("algo")
    if algo not in ("ppo", "sac"):
        raise RunError(f"{path}: not a simreal run config (algo {algo!r}).")
    return algo


def source_datasets(run: Path) -> tuple[str, ...]:
    """The demonstrations a source run was made from: a BC run's dataset, a fine-tune's demos."""
    run = Path(run)
    for name, key in (("config.json", "data"), ("finetune.json", "demos")):
        try:
            value = json.loads((run / name).read_text()).get(key)
        except (OSError, ValueError, AttributeError):
            continue
        if value:
            return tuple([value] if isinstance(value, str) else value)
    return ()


def check_source(run: Path, task: str, trust_pickle: bool = False) -> tuple[str, Any]:  # noqa: ANN401
    """Load the policy to fine-tune, checked against ``task`` before anything runs on it.

    Returns:
        Its kind (:func:`source_kind`) and the SB3 model.

    Raises:
        RunError: If it cannot be fine-tuned, or its spaces differ from the task's.
    """
    from simreal.factory import make
    from simreal.learning.policy_store import load_model

    kind = source_kind(run)
    model = load_model(run, "sac" if kind == "sac" else "ppo", trust_pickle=trust_pickle)
    env = make(task)
    spaces = env.observation_space, env.action_space
    env.close()
    for what, theirs, ours in (
        ("observations", model.observation_space, spaces[0]),
        ("actions", model.action_space, spaces[1]),
    ):
        same = (
            theirs.shape == ours.shape
            and np.allclose(getattr(theirs, "low", 0), getattr(ours, "low", 0))
            and np.allclose(getattr(theirs, "high", 0), getattr(ours, "high", 0))
        )
        if not same:
            raise RunError(
                f"{run} holds a policy for {what} {theirs}; {task} has {ours}: fine-tune a "
                "policy of this task (or its real proxy)."
            )
    return kind, model


def load_demo_transitions(
    paths: tuple[str, ...],
    task: str,
    low: np.ndarray,
    high: np.ndarray,
    obs_dim: int | None = None,
) -> dict[str, np.ndarray] | None:
    """The transitions of every dataset in ``paths``, checked against ``task``.

    Args:
        paths: ``simreal collect`` datasets.
        task: The env id they must belong to (or its real proxy).
        low: The action space's lower bound.
        high: Its upper bound.
        obs_dim: The observation width they must have (``None``: not checked).

    Raises:
        RunError: For a dataset of another task or other spaces, or unreadable.
    """
    from simreal.datasets.tables import TableError, read_columns
    from simreal.learning.dataset_task import read_dataset_task, same_task
    from simreal.learning.demo_buffer import demo_transitions

    if not paths:
        return None
    parts = []
    for path in paths:
        recorded = read_dataset_task(path) if Path(path).is_file() else None
        if recorded is not None and not same_task(recorded, task):
            raise RunError(
                f"{path} holds demonstrations of {recorded}, not {task}; collect them on this task."
            )
        try:
            part = demo_transitions(read_columns(path), low, high)
        except (TableError, ValueError) as error:
            raise RunError(f"{path}: {error}") from None
        if part["actions"].shape[1] != low.size:
            raise RunError(
                f"{path} has {part['actions'].shape[1]} action entries, {task} has {low.size}."
            )
        if obs_dim is not None and part["obs"].shape[1] != obs_dim:
            raise RunError(
                f"{path} has {part['obs'].shape[1]} observation entries, {task} has {obs_dim}; "
                "collect the demonstrations on this task."
            )
        parts.append(part)
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def run_settings(config: SACFinetuneConfig) -> dict:
    """The settings a run folder records (and a rerun must match to resume)."""
    return json.loads(json.dumps({**asdict(config), "demos": list(config.demos)}))
