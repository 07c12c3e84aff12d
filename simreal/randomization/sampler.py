"""Bind a spec to a model and its effect wrappers; sample, apply and re-centre.

This is the pure part of domain randomization (in the spirit of MuJoCo
Playground's ``domain_randomize(model, rng)``): given a generator and a width it
returns parameter values by canonical id, and it writes values into a model
relative to the nominal saved at binding. The Gymnasium wrapper only decides
*when* to call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.parameters import BoundParam, model_array
from simreal.randomization.checks import latency_problem, log_centre_problem
from simreal.randomization.correlated import CompiledGroup, CorrelatedGroup, term_bounds
from simreal.randomization.draws import CHOICE, INVERSE_CDF, BoundTerm, family_of
from simreal.randomization.effect_param import EffectParam, EffectSettings
from simreal.randomization.spec import DRSpec, SpecError
from simreal.randomization.term_binding import bind_term

Values = dict[str, NDArray[np.float64]]


class BoundSpec:
    """A spec bound to one model (and the effect wrappers of its env).

    Binding compiles the spec into flat arrays, one entry per scalar component:
    sampling is a handful of vectorised numpy operations whatever the number of
    terms, and applying is one scatter per model array (plus a few non-linear
    writes such as camera orientations). That keeps a resample cheaper than one
    env step, and lets batched simulators reuse the same compiled description.

    Args:
        spec: The spec.
        model: The model whose parameters it randomizes.
        effects: ``{param_id: wrapper}`` of the env's effect wrappers.
        episode_seconds: Episode duration, to reject latencies longer than an episode.
        width: The width the env samples at (default: the spec's), for that check.

    Attributes:
        model_groups: The linear writes, ``{model array: (flat indices, coefficients,
            components of the flat vector)}``: one scatter per array (a batched
            simulator scatters them into per-simulation fields).
        nonlinear_terms: ``(term, slice)`` of the terms written one by one (orientations,
            texture choices, effect settings).
        writes_dynamics: Whether any term changes a quantity that needs ``mj_setConst``.

    Raises:
        SpecError: If a term cannot bind (unknown element, missing wrapper, a scale
            of a quantity whose nominal is 0, a log-uniform term about a centre that
            is not positive, a latency longer than the episode at ``width``).
    """

    def __init__(
        self,
        spec: DRSpec,
        model: mujoco.MjModel | None,
        effects: Mapping[str, EffectSettings] | None = None,
        episode_seconds: float | None = None,
        width: float | None = None,
    ) -> None:
        self.spec = spec
        self.model = model
        self.terms: list[BoundTerm] = []
        effects = effects or {}
        for term in spec.terms:
            self.terms.append(bind_term(term, model, effects))
        self.check_latency(spec.width if width is None else width, episode_seconds)
        self.nominal: Values = {t.id: t.param.nominal.copy() for t in self.terms}
        self._scratch = mujoco.MjData(model) if model is not None else None
        self._compile()

    def check_latency(self, width: float, episode_seconds: float | None) -> None:
        """Refuse a latency term that reaches ``episode_seconds`` when drawn at ``width``.

        Raises:
            SpecError: Naming the term, the longest delay and the fix.
        """
        if episode_seconds is None:
            return
        for bound in self.terms:
            if bound.id.startswith("latency."):
                nominal, centre = float(bound.param.nominal[0]), float(bound.centre[0])
                widest = width * bound.term.width_factor
                problem = latency_problem(
                    bound.term.op, bound.term.distribution, nominal, centre, widest, episode_seconds
                )
                if problem is not None:
                    raise SpecError(f"{bound.id}: {problem}.")

    # ------------------------------------------------------------------ compilation
    def _compile(self) -> None:
        sizes = [t.param.size for t in self.terms]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
        self.slices = {t.id: slice(offsets[i], offsets[i + 1]) for i, t in enumerate(self.terms)}
        self.size = int(offsets[-1])
        self._nominal_vec = np.concatenate([t.param.nominal for t in self.terms])
        self._centre = np.concatenate([t.centre for t in self.terms])
        self._op = np.concatenate(
            [np.full(t.param.size, ("scale", "add", "set").index(t.term.op)) for t in self.terms]
        )
        bounds = [
            t.param.bounds() if hasattr(t.param, "bounds") else (np.zeros(1), np.full(1, np.inf))
            for t in self.terms
        ]
        self._low = np.concatenate([b[0] for b in bounds])
        self._high = np.concatenate([b[1] for b in bounds])
        self._round = np.concatenate(
            [np.full(t.param.size, bool(getattr(t.param, "rounds", False))) for t in self.terms]
        )
        self._dynamics = np.concatenate(
            [np.full(t.param.size, t.param.dynamics) for t in self.terms]
        )
        # Draws: one per component, or one per term when shared.
        draw_of, params, family, keep, choices = [], [], [], [], []
        n_draws = 0
        for i, t in enumerate(self.terms):
            dist = t.term.distribution
            n = 1 if t.term.shared else t.param.size
            draw_of.append(n_draws + (np.zeros(t.param.size, np.intp) if n == 1 else np.arange(n)))
            code, prm = family_of(dist)
            family += [code] * n
            params += [prm] * n
            if code == CHOICE:
                choices.append((np.arange(n_draws, n_draws + n), dist))
                keep.append((self.slices[t.id], i))
            n_draws += n
        self._n_draws = n_draws
        self._draw_of = np.concatenate(draw_of)
        self._params = np.array(params, np.float64).reshape(n_draws, 4)
        family_arr = np.array(family)
        self._family_index = {
            code: np.flatnonzero(family_arr == code) for code in set(family) if code != CHOICE
        }
        self._choices = choices
        self._keep_slices = [sl for sl, _ in keep]
        self._log = np.concatenate(
            [np.full(t.param.size, t.term.distribution.kind == "log_uniform") for t in self.terms]
        )
        self._width_factor = np.concatenate(
            [np.full(t.param.size, t.term.width_factor) for t in self.terms]
        )
        self._keep_factor = np.array([self.terms[i].term.width_factor for _, i in keep])
        self._is_choice = np.concatenate(
            [np.full(t.param.size, t.term.distribution.kind == "choice") for t in self.terms]
        )
        # Writes: linear scatters grouped by array, the rest one by one.
        groups: dict[str, list] = {}
        self.nonlinear_terms: list[tuple[BoundTerm, slice]] = []
        for t in self.terms:
            targets = (
                t.param.linear_targets(self.model) if isinstance(t.param, BoundParam) else None
            )
            if targets is None:
                self.nonlinear_terms.append((t, self.slices[t.id]))
                continue
            for target in targets:
                groups.setdefault(target.array, []).append(
                    (target.index, target.coeff, target.component + self.slices[t.id].start)
                )
        self.model_groups = {
            name: tuple(np.concatenate([e[k] for e in entries]) for k in range(3))
            for name, entries in groups.items()
        }
        # Flat views into the model's arrays: MjModel memory never moves, so they stay valid.
        self._views = {
            name: model_array(self.model, name).reshape(-1) for name in self.model_groups
        }
        self._current = self._nominal_vec.copy()
        self._any_round = bool(self._round.any())
        self.writes_dynamics = bool(self._dynamics.any())
        self._groups_drawn = [self._compile_group(group) for group in self.spec.correlated]

    def _compile_group(self, group: CorrelatedGroup) -> CompiledGroup:
        """Bind a correlated block: each member a scalar component of the flat vector."""
        members = [next(t for t in self.terms if t.id == pid) for pid in group.params]
        for member in members:
            if member.param.size != 1:
                raise SpecError(
                    f"{member.id} has {member.param.size} components; a correlated block draws "
                    "scalar parameters."
                )
        index = np.array([self.slices[m.id].start for m in members], np.intp)
        bounds = np.array([term_bounds(m.term.distribution) for m in members])
        return CompiledGroup(group, index, self._centre[index], bounds[:, 0], bounds[:, 1])

    # ------------------------------------------------------------------ sampling
    def sample_vector(self, rng: np.random.Generator, width: float) -> NDArray[np.float64]:
        """Draw every term once: a flat vector of physical values (unclipped).

        The draws consume ``rng`` identically whatever ``width`` is, so two widths
        with the same seed see the same underlying random numbers.
        """
        u = rng.random(self._n_draws + len(self._keep_slices))
        x = np.empty(self._n_draws)
        p = self._params
        for code, idx in self._family_index.items():
            x[idx] = INVERSE_CDF[code](u[idx], p[idx])
        for idx, dist in self._choices:
            cumulative = np.cumsum(dist.probs or np.full(len(dist.values), 1 / len(dist.values)))
            pick = np.minimum(
                np.searchsorted(cumulative, u[idx], side="right"), len(dist.values) - 1
            )
            x[idx] = np.asarray(dist.values)[pick]
        comp = x[self._draw_of]
        for group in self._groups_drawn:  # joint draws replace their members' own
            comp[group.components] = group.draw(rng)
        c = self._centre
        w = width * self._width_factor  # per component
        widened = c + w * (comp - c)
        if self._log.any():  # log-uniform centres are positive (checked at binding)
            safe = np.where(self._log, c, 1.0)
            widened = np.where(self._log, safe * (comp / safe) ** w, widened)
        if self._keep_slices:
            keep = np.zeros(self.size, bool)
            for j, sl in enumerate(self._keep_slices):
                keep[sl] = u[self._n_draws + j] < min(width * self._keep_factor[j], 1.0)
            widened = np.where(self._is_choice, np.where(keep, comp, c), widened)
        nominal = self._nominal_vec
        return np.where(
            self._op == 0, nominal * widened, np.where(self._op == 1, nominal + widened, widened)
        )

    def sample(self, rng: np.random.Generator, width: float, ids: set[str] | None = None) -> Values:
        """Draw values (physical units, unclipped) by id; see :meth:`sample_vector`.

        Args:
            rng: The generator.
            width: Global width (>= 0).
            ids: Only report these terms (all terms are drawn regardless).

        Returns:
            ``{param_id: value}``.
        """
        vector = self.sample_vector(rng, width)
        return {k: vector[sl].copy() for k, sl in self.slices.items() if ids is None or k in ids}

    def mask(self, ids: set[str] | None) -> NDArray[np.bool_]:
        """Return the component mask of a set of term ids (all terms for ``None``)."""
        mask = np.zeros(self.size, bool)
        for param_id in self.slices if ids is None else ids:
            mask[self.slices[param_id]] = True
        return mask

    # ------------------------------------------------------------------ applying
    def apply_vector(
        self, vector: NDArray[np.float64], mask: NDArray[np.bool_] | None = None
    ) -> NDArray[np.float64]:
        """Clip and write a flat value vector (only the masked components).

        Returns:
            The flat vector of values now in effect (a copy).
        """
        values = np.clip(vector, self._low, self._high)
        if self._any_round:
            values = np.where(self._round, (values > 0.5).astype(np.float64), values)
        full = mask is None
        for name, (index, coeff, comp) in self.model_groups.items():
            target = self._views[name]
            if full:
                target[index] = coeff * values[comp]
                continue
            chosen = mask[comp]
            if chosen.any():
                target[index[chosen]] = coeff[chosen] * values[comp[chosen]]
        for bound, sl in self.nonlinear_terms:
            if full or mask[sl].any():
                # Values are clipped already; effects and non-linear writes take them as they are.
                if isinstance(bound.param, EffectParam):
                    values[sl] = bound.param.write(self.model, values[sl])
                else:
                    bound.param.write_clipped(self.model, values[sl])
        if full:
            self._current[:] = values
            dynamics = self.writes_dynamics
        else:
            self._current[mask] = values[mask]
            dynamics = bool((self._dynamics & mask).any())
        if dynamics and self.model is not None:
            mujoco.mj_setConst(self.model, self._scratch)
        return self._current.copy()

    def apply(self, values: Mapping[str, NDArray | float]) -> Values:
        """Write values by id into the model and wrappers; return the clipped values applied.

        Parameters not in ``values`` keep their current value. Derived constants
        (``mj_setConst``) are recomputed when a dynamics parameter changed.

        Raises:
            KeyError: For an id that is not a term of the spec.
        """
        unknown = set(values) - set(self.slices)
        if unknown:
            raise KeyError(
                f"{sorted(unknown)} not randomized by this spec; its terms: {list(self.slices)}."
            )
        vector = self._current.copy()
        for param_id, value in values.items():
            sl = self.slices[param_id]
            vector[sl] = np.broadcast_to(
                np.asarray(value, np.float64).ravel(), (sl.stop - sl.start,)
            )
        applied = self.apply_vector(vector, self.mask(set(values)))
        return {k: applied[self.slices[k]].copy() for k in values}

    def to_dict(self, vector: NDArray[np.float64] | None = None) -> Values:
        """Split a flat vector (default: the values in effect) into ``{param_id: value}``."""
        vector = self._current if vector is None else vector
        return {k: vector[sl].copy() for k, sl in self.slices.items()}

    def restore_nominal(self) -> Values:
        """Write every parameter's nominal value back."""
        return self.to_dict(self.apply_vector(self._nominal_vec.copy()))

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
                problem = log_centre_problem(term.distribution, c_new, "the value re-centred on")
                if problem is not None:
                    raise SpecError(f"{bound.id}: {problem}.")
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
