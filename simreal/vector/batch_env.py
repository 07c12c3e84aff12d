"""A Gymnasium vector env that steps N randomized simulations on ``mujoco.batch``.

One ``mujoco.batch.Batch`` holds N simulations of the task's model, each with
its own copy of every randomized model field (``Batch.expand``), and steps them
all on a thread pool in one call. Everything around the physics is vectorised
over the N simulations: observations and rewards (through the task's own
arrays, :mod:`simreal.vector.batched_task`), action latency, observation noise,
time limits and autoresets.

Per environment it reproduces exactly what ``simreal.make(env_id, dr=spec,
width=w)`` does for one env: the same sampler and seeds for the randomized
parameters (so env ``i`` reset with seed ``s`` draws what a single env reset
with ``s`` draws), the same initial-state distribution (the single env's own
``reset_model`` runs on a template env and its state is copied in), the same
action delay and sensor noise streams. ``tests/test_vector_env.py`` checks the
trajectories against N single envs across autoresets.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import gymnasium as gym
import mujoco
import mujoco.batch
import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

from simreal.parameters import OptionParam, model_array
from simreal.randomization import DRSpec
from simreal.vector.batched_effects import BatchedEffects
from simreal.vector.batched_task import NotBatchableError, task_arrays_for
from simreal.vector.vector_info import with_masks

# The single DR wrapper's stream, so that seeds give the same draws.
from simreal.wrappers.domain_randomization import DR_STREAM, DomainRandomization

# MuJoCo's instability warnings: when one fires, MuJoCo has reset that simulation.
_DIVERGENCE_WARNINGS = [
    int(getattr(mujoco.mjtWarning, name))
    for name in ("mjWARN_BADQPOS", "mjWARN_BADQVEL", "mjWARN_BADQACC", "mjWARN_BADCTRL")
    if hasattr(mujoco.mjtWarning, name)
]

# Effects the batched env reproduces natively; a spec with any other effect
# term (observation latency, action noise, pushes) runs on the fallback path.
NATIVE_EFFECTS = {"latency.action", "noise.observation", "bias.observation"}


def _state_fields(model: mujoco.MjModel, data: mujoco.MjData) -> list[str]:
    """The MjData state fields of this model that have any entries."""
    return [f for f in mujoco.batch._STATE_FIELDS if np.size(getattr(data, f)) > 0]  # noqa: SLF001


def _find_dr(env: gym.Env) -> DomainRandomization | None:
    while isinstance(env, gym.Wrapper):
        if isinstance(env, DomainRandomization):
            return env
        env = env.env
    return None


class BatchedVectorEnv(VectorEnv):
    """N simulations of one task with per-simulation randomized physics.

    Autoreset follows Gymnasium's ``SAME_STEP`` mode: an env whose episode ends
    is reset within the same ``step``; the last observation and info of the
    ended episode are in ``infos["final_obs"]`` and ``infos["final_info"]``
    (masks ``infos["_final_obs"]``, ``infos["_final_info"]``).

    ``infos`` holds, per env: the reward terms (``reward_<name>``),
    ``is_success``, ``diverged`` (a simulation whose state became non-finite or
    whose solver failed: MuJoCo has reset it, so its episode is *terminated* —
    never truncated, which would make a learner bootstrap from the reset state —
    and it starts a new episode while the others go on), and
    ``dr``: ``{param_id: (N, ...) values in effect}``.

    Args:
        env_id: A simreal state task or a supported Gymnasium MuJoCo env
            (``HalfCheetah-v5``).
        n_envs: Number of simulations (>= 1).
        dr: Domain-randomization spec (``"default"``, a path, a dict, a
            :class:`DRSpec`) or ``None``.
        width: Global width (default: the spec's).
        n_threads: Threads of the batch (default: all cores); more than the
            machine has are clamped to the core count.
        **env_kwargs: Passed to ``gymnasium.make``.

    Raises:
        ValueError: For ``n_envs < 1`` or ``n_threads < 1``.
        NotBatchableError: If the env or spec needs the fallback path.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}  # noqa: RUF012

    def __init__(
        self,
        env_id: str,
        n_envs: int,
        dr: DRSpec | dict | str | Path | None = None,
        width: float | None = None,
        n_threads: int | None = None,
        **env_kwargs: Any,  # noqa: ANN401
    ) -> None:
        from simreal.factory import make

        if isinstance(n_envs, bool) or not isinstance(n_envs, (int, np.integer)) or n_envs < 1:
            raise ValueError(f"n_envs must be an integer >= 1, got {n_envs!r}.")
        cores = os.cpu_count() or 1
        if n_threads is None:
            n_threads = cores
        if (
            isinstance(n_threads, bool)
            or not isinstance(n_threads, (int, np.integer))
            or n_threads < 1
        ):
            raise ValueError(f"n_threads must be an integer >= 1, got {n_threads!r}.")
        self.n_threads = min(int(n_threads), cores)
        self.num_envs = int(n_envs)
        self.template = make(env_id, dr=dr, width=width, **env_kwargs)
        self.base = self.template.unwrapped
        self.task = task_arrays_for(self.template)
        self.dr = _find_dr(self.template)
        self.bound = self.dr.bound if self.dr is not None else None
        if self.bound is not None:
            unsupported = {
                t.id for t in self.bound.terms if t.term.param.kind == "effect"
            } - NATIVE_EFFECTS
            if unsupported:
                raise NotBatchableError(
                    f"effect terms {sorted(unsupported)} run only on the fallback path."
                )
        self.spec = self.template.spec
        self.max_episode_steps = self.spec.max_episode_steps if self.spec is not None else None
        self.single_observation_space = self.template.observation_space
        self.single_action_space = self.template.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.render_mode = None
        self.frame_skip = int(self.base.frame_skip)

        # The batch runs on a private copy of the nominal model.
        self.model = copy.copy(self.base.model)
        self.batch = mujoco.batch.Batch(
            self.model, self.num_envs, nthread=self.n_threads, persistent=True
        )
        self._state_names = _state_fields(self.base.model, self.base.data)
        self._state = {name: self.batch.bind(name) for name in self._state_names}
        self._ctrl = self.batch.bind("ctrl")
        self._fields = {name: self.batch.bind(name) for name in self.task.fields}
        self._expanded: dict[str, NDArray] = {}
        self._option_params: list[OptionParam] = []
        if self.bound is not None:
            for name in self.bound.model_groups:
                self._expanded[name] = self.batch.expand(name)
            for bound_term, _ in self.bound.nonlinear_terms:
                param = bound_term.param
                if isinstance(param, OptionParam):
                    self._expanded[f"opt.{param.attribute}"] = self.batch.expand(
                        f"opt.{param.attribute}"
                    )
                elif bound_term.term.param.kind != "effect":
                    raise NotBatchableError(
                        f"{bound_term.id} cannot be set per simulation in a batch."
                    )

        n = self.num_envs
        self._dr_rngs = [np.random.default_rng() for _ in range(n)]
        self._env_rngs = [seeding.np_random()[0] for _ in range(n)]
        size = self.bound.size if self.bound is not None else 0
        self._values = np.zeros((n, size))
        self._sampled_once = np.zeros(n, bool)
        self._dr_steps = np.zeros(n, np.int64)
        self._elapsed = np.zeros(n, np.int64)
        obs_shape = self.single_observation_space.shape
        self._obs_dtype = self.single_observation_space.dtype
        nu = self.single_action_space.shape[0]
        self.effects = BatchedEffects(n, nu, obs_shape, self.bound)
        self._obs = np.zeros((n, *obs_shape), dtype=self._obs_dtype)
        self._periodic = []
        self._every_reset = None
        if self.bound is not None:
            self._periodic = [
                (t.term.every_steps, self.bound.mask({t.id}))
                for t in self.bound.terms
                if t.term.schedule == "every_steps"
            ]
            self._every_reset = self.bound.mask(
                {t.id for t in self.bound.terms if t.term.schedule != "once"}
            )
        self._warnings = np.zeros(n, np.int64)
        self._needs_reset = True
        self._all_true = np.ones(n, bool)
        self._all_true.flags.writeable = False

    # ------------------------------------------------------------------ parameters
    def _write_parameters(self, i: int, vector: NDArray, mask: NDArray | None) -> None:
        """Apply env ``i``'s parameter vector on the template model, then copy to sim ``i``."""
        bound = self.bound
        full = self._values[i] if mask is not None else vector
        if mask is not None:
            full = np.where(mask, vector, self._values[i])
        applied = bound.apply_vector(full)
        self._values[i] = applied
        for name, expanded in self._expanded.items():
            source = model_array(self.base.model, name)
            expanded[i] = source
        if bound.writes_dynamics:
            self.batch.set_const([i])
        self.effects.set_values(i, applied)

    def _sample_for_reset(self, i: int) -> None:
        vector = self.bound.sample_vector(self._dr_rngs[i], self.dr.width)
        mask = None if not self._sampled_once[i] else self._every_reset
        self._sampled_once[i] = True
        self._write_parameters(i, vector, mask)

    # ------------------------------------------------------------------ reset
    def _reset_one(self, i: int, seed: int | None) -> NDArray:
        if seed is not None:
            self._dr_rngs[i] = np.random.default_rng([seed, DR_STREAM])
            self._env_rngs[i] = seeding.np_random(seed)[0]
            self.effects.seed(i, seed)
        if self.bound is not None:
            self._sample_for_reset(i)
        self._dr_steps[i] = 0
        self._elapsed[i] = 0
        # The single env's own reset, on the template, with env i's generator.
        base = self.base
        base._np_random = self._env_rngs[i]  # noqa: SLF001
        mujoco.mj_resetData(base.model, base.data)
        obs = np.asarray(base.reset_model(), dtype=np.float64)
        self._env_rngs[i] = base.np_random
        self.batch.reset([i], stage=mujoco.mjtStage.mjSTAGE_NONE)
        for name, bound_field in self._state.items():
            bound_field[i] = np.reshape(getattr(base.data, name), np.shape(bound_field[i]))
        self.batch.forward([i])
        self._warnings[i] = self._warning_counts()[i]
        hold = np.array(base.data.ctrl, dtype=np.float64)
        return self.effects.start_episode(i, obs, hold, base.dt, self._values[i])

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray, dict[str, Any]]:
        """Reset every env; ``seed=s`` seeds env ``i`` with ``s + i`` (or give a list)."""
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed list must have {self.num_envs} entries, got {len(seeds)}.")
        for i, s in enumerate(seeds):
            self._obs[i] = self._reset_one(i, s)
        self._needs_reset = False
        return self._obs.copy(), self._infos()

    # ------------------------------------------------------------------ step
    def step(self, actions: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray, dict[str, Any]]:
        """Step all N simulations; ended episodes are reset in the same call."""
        if self._needs_reset:
            raise RuntimeError("call reset() before step().")
        actions = np.asarray(actions, dtype=np.float64)
        expected = (self.num_envs, *self.single_action_space.shape)
        if actions.shape != expected:
            raise ValueError(f"actions must have shape {expected}, got {actions.shape}.")
        if not np.all(np.isfinite(actions)):
            bad = sorted(set(np.nonzero(~np.isfinite(actions))[0].tolist()))
            raise ValueError(
                f"actions of envs {bad} are not finite (NaN or inf); fix the policy's output."
            )
        applied = self.effects.actions(actions)
        before = self.task.before_step(self._fields)
        self._ctrl[:] = applied
        self.batch.step(nstep=self.frame_skip)
        d = self._fields
        obs = self.task.observe(d)
        terms = self.task.reward_terms(d, applied, before)
        rewards = np.sum(list(terms.values()), axis=0)
        success = self.task.success(d)
        terminated = self.task.terminated(d)
        extra = self.task.extra_info(d, before)
        counts = self._warning_counts()
        diverged = counts > self._warnings
        self._warnings = counts
        diverged |= ~np.all(np.isfinite(obs.reshape(self.num_envs, -1)), axis=1)
        diverged |= ~np.isfinite(rewards)
        self._elapsed += 1
        # MuJoCo has already reset a diverged simulation, so its episode ends as
        # terminated: a learner must not bootstrap a value from the reset state.
        terminated = terminated | diverged
        truncated = np.zeros(self.num_envs, bool)
        if self.max_episode_steps is not None:
            truncated = self._elapsed >= self.max_episode_steps
        obs = self.effects.observe(obs)
        if self._periodic:
            self._dr_steps += 1
            for i in range(self.num_envs):
                due = [mask for every, mask in self._periodic if self._dr_steps[i] % every == 0]
                if due:
                    vector = self.bound.sample_vector(self._dr_rngs[i], self.dr.width)
                    self._write_parameters(i, vector, np.logical_or.reduce(due))
        infos: dict[str, Any] = {f"reward_{k}": v for k, v in terms.items()}
        infos.update(extra)
        infos["is_success"] = success
        infos["diverged"] = diverged
        if self.bound is not None:
            infos["dr"] = self._dr_info()
        done = terminated | truncated
        self._obs = obs.astype(self._obs_dtype, copy=False)
        if done.any():
            # Gymnasium's SAME_STEP layout: final_obs an object array, final_info the
            # ended episodes' infos as a dict of arrays, each with a "_<key>" mask.
            final_obs = np.empty(self.num_envs, dtype=object)
            for i in np.flatnonzero(done):
                final_obs[i] = self._obs[i].copy()
                self._obs[i] = self._reset_one(i, None)
            infos["final_info"] = with_masks(dict(infos), done)
            infos["final_obs"], infos["_final_obs"] = final_obs, done.copy()
            infos["_final_info"] = done.copy()
            if self.bound is not None:
                infos["dr"] = self._dr_info()
        infos = with_masks(infos, self._all_true)
        return self._obs.copy(), rewards, terminated, truncated, infos

    def _warning_counts(self) -> NDArray[np.int64]:
        """Per simulation, how often MuJoCo flagged it unstable (and reset it)."""
        return np.asarray(self.batch.warning)[:, _DIVERGENCE_WARNINGS, 1].sum(axis=1)

    def _dr_info(self) -> dict[str, NDArray]:
        values = self._values
        info = {
            k: values[:, sl.start].copy() if sl.stop - sl.start == 1 else values[:, sl].copy()
            for k, sl in self.bound.slices.items()
        }
        if self.dr.contacts.ids:
            friction = self._expanded.get("geom_friction", self.model.geom_friction)
            shape = (self.num_envs, *self.model.geom_friction.shape)
            info.update(self.dr.contacts.report(np.broadcast_to(friction, shape)))
        return info

    def _infos(self) -> dict[str, Any]:
        infos: dict[str, Any] = {}
        if self.bound is not None:
            infos["dr"] = self._dr_info()
        return with_masks(infos, self._all_true)

    def close_extras(self, **kwargs: Any) -> None:  # noqa: ANN401
        """Close the template env."""
        self.template.close()
