"""Bind a spec to a model and its effect wrappers; sample, apply and re-centre.

This is the pure part of domain randomization (in the spirit of MuJoCo
Playground's ``domain_randomize(model, rng)``): given a generator and a width it
returns parameter values by canonical id, and it writes values into a model
relative to the nominal saved at binding. The Gymnasium wrapper only decides
*when* to call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.parameters import BoundParam, bind
from simreal.randomization.distributions import Choice
from simreal.randomization.spec import DRSpec, SpecError, Term
from simreal.wrappers.randomizable import RandomizableWrapper

Values = dict[str, NDArray[np.float64]]


@dataclass
class EffectParam:
    """A setting owned by an effect wrapper (latency, noise, pushes)."""

    id: str
    wrapper: RandomizableWrapper
    nominal: NDArray[np.float64]
    choices: None = None
    dynamics: bool = False

    def write(self, model: mujoco.MjModel | None, value: NDArray) -> NDArray[np.float64]:
        """Clip at 0 (latency and noise levels are non-negative) and set it."""
        clipped = np.maximum(np.asarray(value, np.float64).reshape(1), 0.0)
        self.wrapper.set_param(self.id, float(clipped[0]))
        return clipped

    def read(self, model: mujoco.MjModel | None) -> NDArray[np.float64]:
        """Return the current setting."""
        return np.array([self.wrapper.get_param(self.id)])

    @property
    def size(self) -> int:
        """One scalar."""
        return 1


@dataclass
class BoundTerm:
    """A term resolved against a model: its parameter and its centre."""

    term: Term
    param: BoundParam | EffectParam
    centre: NDArray[np.float64]

    @property
    def id(self) -> str:
        """Canonical id."""
        return self.term.id

    def sample(self, rng: np.random.Generator, width: float) -> NDArray[np.float64]:
        """Draw one value (physical units, before clipping) at ``width``."""
        dist = self.term.distribution
        n = 1 if self.term.shared else self.param.size
        draws = np.broadcast_to(dist.draw(rng, n), (self.param.size,)).astype(np.float64)
        if isinstance(dist, Choice):
            keep = rng.random() < min(width, 1.0)
            widened = draws if keep else self.centre
        else:
            widened = dist.widen(draws, self.centre, width)
        return self._apply_op(widened)

    def _apply_op(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        nominal = self.param.nominal
        if self.term.op == "scale":
            return nominal * x
        if self.term.op == "add":
            return nominal + x
        return np.broadcast_to(x, nominal.shape).copy()

    def op_value(self, physical: NDArray[np.float64]) -> NDArray[np.float64]:
        """Convert a physical value into the operation's units (inverse of the op)."""
        nominal = self.param.nominal
        if self.term.op == "scale":
            return physical / np.where(nominal != 0, nominal, 1.0)
        if self.term.op == "add":
            return physical - nominal
        return physical


class BoundSpec:
    """A spec bound to one model (and the effect wrappers of its env).

    Args:
        spec: The spec.
        model: The model whose parameters it randomizes.
        effects: ``{param_id: wrapper}`` of the env's effect wrappers.
        episode_seconds: Episode duration, to reject latencies longer than an episode.

    Raises:
        SpecError: If a term cannot bind (unknown element, missing wrapper, a scale
            of a quantity whose nominal is 0, a latency longer than the episode).
    """

    def __init__(
        self,
        spec: DRSpec,
        model: mujoco.MjModel | None,
        effects: Mapping[str, RandomizableWrapper] | None = None,
        episode_seconds: float | None = None,
    ) -> None:
        self.spec = spec
        self.model = model
        self.terms: list[BoundTerm] = []
        effects = effects or {}
        for term in spec.terms:
            self.terms.append(self._bind_term(term, model, effects))
        self._check_latency(episode_seconds)
        self.nominal: Values = {t.id: t.param.nominal.copy() for t in self.terms}
        self._scratch = mujoco.MjData(model) if model is not None else None

    @staticmethod
    def _bind_term(
        term: Term, model: mujoco.MjModel | None, effects: Mapping[str, RandomizableWrapper]
    ) -> BoundTerm:
        if term.param.kind == "effect":
            if term.id not in effects:
                raise SpecError(
                    f"{term.id}: the env has no wrapper for it; build the env with "
                    "simreal.make(..., dr=spec), which adds one, or wrap it yourself "
                    "(simreal.wrappers.latency / noise / pushes)."
                )
            wrapper = effects[term.id]
            param: BoundParam | EffectParam = EffectParam(
                term.id, wrapper, np.array([wrapper.get_param(term.id)])
            )
        else:
            if model is None:
                raise SpecError(f"{term.id}: the env holds no MuJoCo model to randomize.")
            try:
                param = bind(term.param, model)
            except ValueError as error:
                raise SpecError(str(error)) from None
        if term.labels is not None:
            if param.choices is None:
                raise SpecError(f"{term.id}: named choices need a choice parameter (a texture).")
            unknown = [name for name in term.labels if name not in param.choices]
            if unknown:
                raise SpecError(
                    f"{term.id}: unknown choice(s) {unknown}; "
                    f"the model offers {list(param.choices)}."
                )
            values = tuple(float(param.choices.index(name)) for name in term.labels)
            term = replace(term, distribution=replace(term.distribution, values=values))
        if term.op == "scale" and np.all(param.nominal == 0):
            raise SpecError(
                f"{term.id}: its nominal value is 0, so scaling never moves it; "
                "use op: set or op: add."
            )
        if term.centre is not None:
            centre = np.full(param.size, term.centre)
        elif term.op == "scale":
            centre = np.ones(param.size)
        elif term.op == "add":
            centre = np.zeros(param.size)
        else:
            centre = param.nominal.copy()
        return BoundTerm(term, param, centre)

    def _check_latency(self, episode_seconds: float | None) -> None:
        if episode_seconds is None:
            return
        for bound in self.terms:
            if not bound.id.startswith("latency."):
                continue
            dist = bound.term.distribution
            top = getattr(dist, "high", getattr(dist, "value", None))
            if top is None:
                continue
            peak = float(np.max(bound._apply_op(np.full(1, top))))
            if peak * max(self.spec.width, 1.0) >= episode_seconds:
                raise SpecError(
                    f"{bound.id}: up to {peak:.3g} s of latency is not shorter than the "
                    f"{episode_seconds:.3g} s episode; lower its range."
                )

    # ------------------------------------------------------------------ sampling
    def sample(self, rng: np.random.Generator, width: float, ids: set[str] | None = None) -> Values:
        """Draw values (physical units, unclipped) for the selected terms.

        Args:
            rng: The generator; the draws consume it in term order.
            width: Global width (>= 0).
            ids: Only these terms (default: all).

        Returns:
            ``{param_id: value}``.
        """
        return {t.id: t.sample(rng, width) for t in self.terms if ids is None or t.id in ids}

    def apply(self, values: Mapping[str, NDArray | float]) -> Values:
        """Write values into the model and wrappers; return the clipped values applied.

        Parameters not in ``values`` keep their current value. Derived constants
        (``mj_setConst``) are recomputed when a dynamics parameter changed.

        Raises:
            KeyError: For an id that is not a term of the spec.
        """
        by_id = {t.id: t for t in self.terms}
        applied: Values = {}
        dynamics = False
        for param_id, value in values.items():
            if param_id not in by_id:
                raise KeyError(
                    f"{param_id!r} is not randomized by this spec; its terms: {list(by_id)}."
                )
            param = by_id[param_id].param
            applied[param_id] = param.write(self.model, np.asarray(value, np.float64))
            dynamics |= param.dynamics
        if dynamics:
            mujoco.mj_setConst(self.model, self._scratch)
        return applied

    def restore_nominal(self) -> Values:
        """Write every parameter's nominal value back."""
        return self.apply(self.nominal)

    def recentred(self, values: Mapping[str, NDArray | float]) -> DRSpec:
        """Return the spec re-centred on new values (e.g. a system-identification fit).

        Each term's centre moves to the given physical value; its distribution moves
        with it, so the spreads are unchanged (a scale term's spread is relative,
        so it is rescaled multiplicatively for ``log_uniform``).

        Args:
            values: ``{param_id: physical value}`` for some or all terms.

        Returns:
            A new spec.
        """
        terms = []
        for bound in self.terms:
            term = bound.term
            if bound.id in values:
                new_centre = bound.op_value(np.atleast_1d(np.asarray(values[bound.id], np.float64)))
                if np.ptp(new_centre) > 1e-12 * max(1.0, float(np.abs(new_centre).max())):
                    raise SpecError(
                        f"{bound.id}: cannot re-centre a scalar term on a vector of different "
                        "components; give one value."
                    )
                c_new, c_old = float(new_centre[0]), float(bound.centre[0])
                try:
                    if term.distribution.kind == "log_uniform":
                        dist = term.distribution.scaled(c_new / c_old)
                    else:
                        dist = term.distribution.shifted(c_new - c_old)
                except ValueError as error:
                    raise SpecError(f"{bound.id}: {error}.") from None
                term = replace(term, distribution=dist, centre=c_new)
            terms.append(term)
        return self.spec.with_terms(terms)
