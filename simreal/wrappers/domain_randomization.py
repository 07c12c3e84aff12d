"""The domain-randomization wrapper for any Gymnasium env that holds a MuJoCo model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from simreal.randomization import BoundSpec, DRSpec, load_spec
from simreal.randomization.contacts import ContactFriction
from simreal.wrappers.randomizable import randomizable_wrappers

# Mixed into the reset seed so that the parameter stream differs from the env's own.
DR_STREAM = 0x5EED_D0


def _episode_seconds(env: gym.Env) -> float | None:
    steps = env.spec.max_episode_steps if env.spec is not None else None
    dt = getattr(env.unwrapped, "dt", None)
    return float(steps * dt) if steps and dt else None


def _check_width(width: object) -> float:
    try:
        value = float(width)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"width must be a finite number >= 0, got {width!r}.")
    return value


class DomainRandomization(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Sample model parameters (and effect settings) from a spec, by schedule.

    Works on any env whose ``unwrapped`` holds a MuJoCo ``model`` and ``data``
    (simreal's tasks, Gymnasium's MuJoCo envs, a user's own). Values are always
    computed from the nominal saved when the wrapper is built, so nothing drifts
    however many resets; derived constants are recomputed with ``mj_setConst``;
    the model is never recompiled. The applied values are in ``info["dr"]`` by
    canonical id at every reset and step, with the friction in effect between
    the geom pairs that randomized friction reaches
    (``contact[block,table].friction_sliding``, MuJoCo's mixing rule: see
    :mod:`simreal.randomization.contacts`); those derived values are ignored
    when ``info["dr"]`` is replayed.

    >>> import gymnasium as gym
    >>> spec = {"terms": [{"param": "body[pole].mass", "op": "scale",
    ...                    "distribution": "uniform", "low": 0.5, "high": 1.5}]}
    >>> env = DomainRandomization(gym.make("InvertedPendulum-v5"), spec, width=1.0)
    >>> obs, info = env.reset(seed=0)
    >>> sorted(info["dr"])
    ['body[pole].mass']

    Args:
        env: The env to randomize. Effect terms (latency, noise, pushes) need the
            matching wrappers beneath this one (``simreal.make`` adds them).
        spec: A :class:`DRSpec`, a dict or a YAML path.
        width: Global width (>= 0); default: the spec's.

    Raises:
        ValueError: If the env holds no MuJoCo model, or ``width`` is negative.
        SpecError: If a term does not bind to the model.
    """

    def __init__(
        self, env: gym.Env, spec: DRSpec | dict | str | Path, width: float | None = None
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, spec=spec, width=width)
        gym.Wrapper.__init__(self, env)
        base = env.unwrapped
        if getattr(base, "model", None) is None or getattr(base, "data", None) is None:
            raise ValueError(
                f"DomainRandomization needs an env whose unwrapped holds a MuJoCo model and "
                f"data; {type(base).__name__} has none."
            )
        self.dr_spec = load_spec(spec)
        self._width = _check_width(self.dr_spec.width if width is None else width)
        self._episode_s = _episode_seconds(env)
        self.bound = BoundSpec(
            self.dr_spec, base.model, randomizable_wrappers(env), self._episode_s, self._width
        )
        self.contacts = ContactFriction(base.model, [t.id for t in self.bound.terms])
        self._rng = np.random.default_rng()
        self._fixed: dict[str, NDArray] | None = None
        self._holding = False  # this episode's values are fixed (no periodic resampling)
        self._first_draw: NDArray | None = None  # the first sampled values ("once" terms)
        self._steps = 0
        terms = self.bound.terms
        self._periodic = [
            (t.term.every_steps, self.bound.mask({t.id}))
            for t in terms
            if t.term.schedule == "every_steps"
        ]
        self._every_reset = self.bound.mask({t.id for t in terms if t.term.schedule != "once"})
        self._info: dict[str, float | list[float]] = {}

    @property
    def width(self) -> float:
        """The global width the wrapper samples at."""
        return self._width

    @width.setter
    def width(self, value: float) -> None:
        """Sample at another width from the next draw on (latency ranges are re-checked)."""
        width = _check_width(value)
        self.bound.check_latency(width, self._episode_s)
        self._width = width

    @property
    def current_values(self) -> dict[str, NDArray]:
        """The values applied now, by canonical id."""
        return self.bound.to_dict()

    def set_values(self, values: Mapping[str, Any] | None) -> None:
        """Use exactly these values at every following reset instead of sampling.

        Args:
            values: ``{param_id: value}`` in physical units (ids not given keep their
                nominal), or ``None`` to return to sampling.
        """
        self._fixed = None if values is None else self._complete(values)

    def _complete(self, values: Mapping[str, Any]) -> dict[str, NDArray]:
        """Check the ids and fill the ids not given with their nominal values."""
        known = {t.id for t in self.bound.terms}
        derived = set(self.contacts.ids)
        values = {k: v for k, v in values.items() if k not in derived}
        unknown = set(values) - known
        if unknown:
            raise KeyError(
                f"{sorted(unknown)} not randomized by this spec; its terms: {sorted(known)}."
            )
        return {
            **self.bound.nominal,
            **{k: np.asarray(v, np.float64) for k, v in values.items()},
        }

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Resample by schedule, or apply fixed values, then reset the env.

        ``options["dr_values"]`` (``{param_id: value}``, ids not given at their
        nominal) holds for this episode only, periodic terms included; the next
        reset goes back to what :meth:`set_values` fixed, or to sampling.
        """
        if seed is not None:
            self._rng = np.random.default_rng([seed, DR_STREAM])
        options = dict(options or {})
        exact = options.pop("dr_values", None)
        self._holding = exact is not None or self._fixed is not None
        if exact is not None:
            self._publish(self.bound.apply(self._complete(exact)))
        elif self._fixed is not None:
            self._publish(self.bound.apply(self._fixed))
        else:
            vector = self.bound.sample_vector(self._rng, self.width)
            if self._first_draw is not None:  # "once" terms keep their first draw
                vector = np.where(self._every_reset, vector, self._first_draw)
            applied = self.bound.apply_vector(vector)
            if self._first_draw is None:
                self._first_draw = applied
            self._publish(applied)
        self._steps = 0
        obs, info = self.env.reset(seed=seed, options=options or None)
        info["dr"] = dict(self._info)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:  # noqa: ANN401
        """Step the env; resample the periodic terms when their period elapses."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._steps += 1
        if self._periodic and not self._holding:
            due = [mask for every, mask in self._periodic if self._steps % every == 0]
            if due:
                vector = self.bound.sample_vector(self._rng, self.width)
                self._publish(self.bound.apply_vector(vector, np.logical_or.reduce(due)))
        info["dr"] = dict(self._info)
        return obs, reward, terminated, truncated, info

    def _publish(self, _applied: object) -> None:
        """Rebuild the ``info["dr"]`` dict; it is shared by the steps until values change."""
        self._info = {
            k: (float(v[0]) if v.size == 1 else tuple(v.tolist()))
            for k, v in self.bound.to_dict().items()
        }
        if self.contacts.ids:
            friction = self.bound.model.geom_friction
            self._info.update(self.contacts.report(friction))

    def close(self) -> None:
        """Restore the nominal model, then close the env."""
        self.bound.restore_nominal()
        super().close()
