"""Bind one spec term: its parameter (model or effect), its choices and its centre."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import mujoco
import numpy as np

from simreal.parameters import BoundParam, bind
from simreal.randomization.checks import log_centre_problem
from simreal.randomization.draws import BoundTerm
from simreal.randomization.effect_param import EffectParam, EffectSettings
from simreal.randomization.spec import SpecError, Term


def bind_term(
    term: Term, model: mujoco.MjModel | None, effects: Mapping[str, EffectSettings]
) -> BoundTerm:
    """Resolve one term against a model and the env's effect settings.

    Raises:
        SpecError: For an unknown element, a missing effect wrapper, a scale of a
            quantity whose nominal is 0, unknown choice names, or a log-uniform term
            about a centre that is not positive.
    """
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
                f"{term.id}: unknown choice(s) {unknown}; the model offers {list(param.choices)}."
            )
        values = tuple(float(param.choices.index(name)) for name in term.labels)
        term = replace(term, distribution=replace(term.distribution, values=values))
    if term.op == "scale" and np.all(param.nominal == 0):
        raise SpecError(
            f"{term.id}: its nominal value is 0, so scaling never moves it; use op: set or op: add."
        )
    if term.centre is not None:
        centre = np.full(param.size, term.centre)
    elif term.op == "scale":
        centre = np.ones(param.size)
    elif term.op == "add":
        centre = np.zeros(param.size)
    else:
        centre = param.nominal.copy()
    where = "the centre given" if term.centre is not None else "the nominal of an op: set term"
    problem = log_centre_problem(term.distribution, float(np.min(centre)), where)
    if problem is not None:
        raise SpecError(f"{term.id}: {problem}.")
    return BoundTerm(term, param, centre)
