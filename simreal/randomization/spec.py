"""Domain-randomization specs: YAML files or dicts validated into typed terms.

A spec is a list of terms and an optional global ``width``::

    width: 1.0
    terms:
      - param: body[pole].mass        # what: a canonical parameter id
        op: scale                     # how it is applied: scale | add | set (of the nominal)
        distribution: uniform         # uniform | log_uniform | normal | truncated_normal
        low: 0.8                      #   | fixed | choice | bernoulli, with their parameters
        high: 1.2
        schedule: reset               # when: once | reset | every_steps (with every_steps: N)

Distribution parameters: ``uniform`` and ``log_uniform``: ``low``, ``high``;
``normal``: ``mean``, ``std``; ``truncated_normal``: ``mean``, ``std``, ``low``,
``high``; ``fixed``: ``value``; ``choice``: ``values`` (numbers, or texture names
for ``material[...].texture``) and optional ``probs``; ``bernoulli``: ``p``.
Optional keys: ``centre`` (the point that width 0 gives, in the operation's
units; default 1 for scale, 0 for add, the nominal for set), ``shared`` (one
draw for every component of a vector parameter; default false), ``body`` (for
``push.force``: the body pushed), ``width_factor`` (this term's width relative to the
global width, e.g. to widen the visual terms alone; default 1). A ``log_uniform`` term
widens in log space about its centre, which must be positive: an ``add`` term, or a
``set`` of a quantity whose nominal is 0 (``latency.action``), needs a ``centre``.

In YAML's inline ``{...}`` style, quote the id (``param: "body[pole].mass"``):
there a bare ``[`` starts a list.

Operations are always relative to the nominal saved when the spec is bound, so
repeated application never compounds. See :mod:`simreal.randomization.distributions`
for how ``width`` scales a term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from simreal.parameters import ParamAddress
from simreal.randomization.checks import log_centre_problem
from simreal.randomization.correlated import CorrelatedGroup, CorrelatedSpecError, bind_groups
from simreal.randomization.distributions import (
    Choice,
    Distribution,
    Fixed,
    LogUniform,
    Normal,
    TruncatedNormal,
    Uniform,
)

OPS = ("scale", "add", "set")
SCHEDULES = ("once", "reset", "every_steps")
DISTRIBUTIONS = (
    "uniform",
    "log_uniform",
    "normal",
    "truncated_normal",
    "fixed",
    "choice",
    "bernoulli",
)
_DIST_KEYS = {
    "uniform": ("low", "high"),
    "log_uniform": ("low", "high"),
    "normal": ("mean", "std"),
    "truncated_normal": ("mean", "std", "low", "high"),
    "fixed": ("value",),
    "choice": ("values", "probs"),
    "bernoulli": ("p",),
}
_TERM_KEYS = ("param", "op", "distribution", "schedule", "every_steps", "centre", "shared", "body",
              "width_factor")  # fmt: skip


class SpecError(ValueError):
    """A domain-randomization spec is invalid; the message names the term and the fix."""


@dataclass(frozen=True)
class Term:
    """One randomized parameter.

    Attributes:
        param: The parameter's address.
        op: ``scale``, ``add`` or ``set``, relative to the nominal value.
        distribution: The distribution at width 1, in the operation's units.
        schedule: ``once`` (first reset of the env), ``reset`` (every reset) or
            ``every_steps`` (every reset and every ``every_steps`` steps).
        every_steps: Resampling period in steps, for ``schedule="every_steps"``.
        centre: The value at width 0 in the operation's units (``None``: 1 for
            scale, 0 for add, the nominal for set).
        shared: One draw for all components of a vector parameter.
        body: Body name for ``push.force``.
        labels: Names of the choices, when ``distribution`` chooses among names.
        width_factor: The term is drawn at ``width_factor`` times the global width.
    """

    param: ParamAddress
    op: str
    distribution: Distribution
    schedule: str = "reset"
    every_steps: int | None = None
    centre: float | None = None
    shared: bool = False
    body: str | None = None
    labels: tuple[str, ...] | None = None
    width_factor: float = 1.0

    @property
    def id(self) -> str:
        """The canonical id of the parameter."""
        return self.param.id


@dataclass(frozen=True)
class DRSpec:
    """A validated domain-randomization spec.

    Attributes:
        terms: The terms, at most one per parameter id.
        width: The default global width (``simreal.make(width=...)`` overrides it).
        correlated: Blocks of terms drawn jointly (:mod:`simreal.randomization.correlated`).
    """

    terms: tuple[Term, ...]
    width: float = 1.0
    source: str = field(default="<dict>", compare=False)
    correlated: tuple[CorrelatedGroup, ...] = ()

    def term(self, param_id: str) -> Term:
        """Return the term of one parameter id."""
        for term in self.terms:
            if term.id == param_id:
                return term
        raise KeyError(f"the spec has no term for {param_id!r}.")

    def with_terms(self, terms: list[Term]) -> DRSpec:
        """Return a copy with other terms."""
        return replace(self, terms=tuple(terms))

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as a YAML-ready dict (the inverse of :func:`parse_spec`)."""
        out: dict[str, Any] = {"width": self.width, "terms": [_term_to_dict(t) for t in self.terms]}
        if self.correlated:
            out["correlated"] = [group.to_dict() for group in self.correlated]
        return out

    def to_yaml(self) -> str:
        """Return the spec as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def load_spec(source: DRSpec | dict | str | Path) -> DRSpec:
    """Load a spec from a :class:`DRSpec`, a dict, or a YAML file path.

    Args:
        source: The spec.

    Returns:
        The validated spec.

    Raises:
        SpecError: On malformed YAML or an invalid term; the message names the file
            and the term.
        FileNotFoundError: If a path does not exist.
    """
    if isinstance(source, DRSpec):
        return source
    if isinstance(source, dict):
        return parse_spec(source)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"domain-randomization spec {path} does not exist.")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"{path}: malformed YAML{where}; fix the syntax there.") from None
    try:
        return parse_spec(data, source=str(path))
    except SpecError as error:
        raise SpecError(f"{path}: {error}") from None


def parse_spec(data: Any, source: str = "<dict>") -> DRSpec:  # noqa: ANN401
    """Validate a dict (e.g. parsed YAML) into a :class:`DRSpec`.

    Raises:
        SpecError: Naming the offending term and the fix.
    """
    if not isinstance(data, dict):
        raise SpecError("a spec must be a mapping with a 'terms' list (and optionally 'width').")
    # "sysid" holds a fit's record (values, errors) in fit.yaml files; it does not randomize.
    unknown = set(data) - {"width", "terms", "sysid", "correlated"}
    if unknown:
        raise SpecError(
            f"unknown top-level key(s) {sorted(unknown)}; use 'width', 'terms' and 'correlated'."
        )
    width = _number(data.get("width", 1.0), "width")
    if width < 0:
        raise SpecError(f"width must be >= 0, got {width}.")
    raw_terms = data.get("terms")
    if not isinstance(raw_terms, list) or not raw_terms:
        raise SpecError("'terms' must be a non-empty list of terms.")
    terms = [_parse_term(raw, i) for i, raw in enumerate(raw_terms, start=1)]
    seen: set[str] = set()
    for term in terms:
        if term.id in seen:
            raise SpecError(f"{term.id} appears in two terms; merge them into one.")
        seen.add(term.id)
    try:
        groups = bind_groups(data.get("correlated", []), {t.id: t for t in terms})
    except CorrelatedSpecError as error:
        raise SpecError(str(error)) from None
    return DRSpec(tuple(terms), width, source, groups)


def _number(value: Any, what: str) -> float:  # noqa: ANN401
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(f"{what} must be a finite number, got {value!r}.")
    return float(value)


def _parse_term(raw: Any, index: int) -> Term:  # noqa: ANN401, C901
    if not isinstance(raw, dict):
        raise SpecError(f"term {index} must be a mapping with 'param', 'op' and 'distribution'.")
    label = f"term {index}"
    try:
        param = ParamAddress.parse(raw.get("param"))
    except ValueError as error:
        raise SpecError(f"{label}: {error}") from None
    label = f"term {index} ({param.id})"
    dist_name = raw.get("distribution")
    if dist_name not in DISTRIBUTIONS:
        raise SpecError(
            f"{label}: unknown distribution {dist_name!r}; use one of {', '.join(DISTRIBUTIONS)}."
        )
    allowed = set(_TERM_KEYS) | set(_DIST_KEYS[dist_name])
    unknown = set(raw) - allowed
    if unknown:
        raise SpecError(
            f"{label}: unknown key(s) {sorted(unknown)} for a {dist_name} term; "
            f"allowed: {', '.join(sorted(allowed))}."
        )
    op = raw.get("op", "scale" if param.kind not in ("effect",) else "set")
    if op not in OPS:
        raise SpecError(f"{label}: unknown op {op!r}; use one of {', '.join(OPS)}.")
    schedule = raw.get("schedule", "every_steps" if "every_steps" in raw else "reset")
    if schedule not in SCHEDULES:
        raise SpecError(
            f"{label}: unknown schedule {schedule!r}; use one of {', '.join(SCHEDULES)}."
        )
    every_steps = raw.get("every_steps")
    if schedule == "every_steps":
        if isinstance(every_steps, bool) or not isinstance(every_steps, int) or every_steps < 1:
            raise SpecError(f"{label}: every_steps must be an integer >= 1, got {every_steps!r}.")
    elif every_steps is not None:
        raise SpecError(f"{label}: every_steps is only valid with schedule: every_steps.")
    centre = raw.get("centre")
    if centre is not None:
        centre = _number(centre, f"{label}: centre")
    shared = raw.get("shared", False)
    if not isinstance(shared, bool):
        raise SpecError(f"{label}: shared must be true or false, got {shared!r}.")
    body = raw.get("body")
    if body is not None and param.id != "push.force":
        raise SpecError(f"{label}: 'body' is only valid for push.force.")
    factor = _number(raw.get("width_factor", 1.0), f"{label}: width_factor")
    if factor < 0:
        raise SpecError(f"{label}: width_factor must be >= 0, got {factor}.")
    distribution, labels = _parse_distribution(raw, dist_name, label)
    if centre is not None or op == "add":
        where = "the centre given" if centre is not None else "the default of an op: add term"
        problem = log_centre_problem(distribution, 0.0 if centre is None else centre, where)
        if problem is not None:
            raise SpecError(f"{label}: {problem}.")
    return Term(param, op, distribution, schedule, every_steps, centre, shared, body, labels,
                factor)  # fmt: skip


def _parse_distribution(
    raw: dict, name: str, label: str
) -> tuple[Distribution, tuple[str, ...] | None]:
    missing = [k for k in _DIST_KEYS[name] if k not in raw and k != "probs"]
    if missing:
        raise SpecError(f"{label}: a {name} distribution needs {', '.join(missing)}.")

    def num(key: str) -> float:
        return _number(raw[key], f"{label}: {key}")

    if name in ("uniform", "log_uniform", "truncated_normal"):
        low, high = num("low"), num("high")
        if low > high:
            raise SpecError(f"{label}: low > high ({low} > {high}); swap them.")
    if name in ("normal", "truncated_normal") and num("std") < 0:
        raise SpecError(f"{label}: std must be >= 0, got {num('std')}.")
    if name == "uniform":
        return Uniform(low, high), None
    if name == "log_uniform":
        if low <= 0:
            raise SpecError(f"{label}: log_uniform needs 0 < low, got low = {low}.")
        return LogUniform(low, high), None
    if name == "normal":
        return Normal(num("mean"), num("std")), None
    if name == "truncated_normal":
        if num("std") == 0:
            raise SpecError(f"{label}: truncated_normal needs std > 0; use fixed for a constant.")
        return TruncatedNormal(num("mean"), num("std"), low, high), None
    if name == "fixed":
        return Fixed(num("value")), None
    if name == "bernoulli":
        p = num("p")
        if not 0 <= p <= 1:
            raise SpecError(f"{label}: p must be in [0, 1], got {p}.")
        return Choice((0.0, 1.0), (1 - p, p)), None
    values = raw["values"]
    if not isinstance(values, list) or not values:
        raise SpecError(f"{label}: values must be a non-empty list.")
    labels = None
    if all(isinstance(v, str) for v in values):
        labels = tuple(values)
        numeric: tuple[float, ...] = tuple(float(i) for i in range(len(values)))
    else:
        numeric = tuple(_number(v, f"{label}: values") for v in values)
    probs = raw.get("probs")
    if probs is not None:
        if not isinstance(probs, list) or len(probs) != len(values):
            raise SpecError(f"{label}: probs must be a list as long as values ({len(values)}).")
        probs = tuple(_number(p, f"{label}: probs") for p in probs)
        if any(p < 0 for p in probs) or not math.isclose(sum(probs), 1.0, abs_tol=1e-6):
            raise SpecError(f"{label}: probs must be >= 0 and sum to 1, got {list(probs)}.")
    return Choice(numeric, probs), labels


def _term_to_dict(term: Term) -> dict[str, Any]:
    d = term.distribution
    out: dict[str, Any] = {"param": term.id, "op": term.op}
    if isinstance(d, Uniform | LogUniform):
        out.update(distribution=d.kind, low=d.low, high=d.high)
    elif isinstance(d, TruncatedNormal):
        out.update(distribution=d.kind, mean=d.mean_, std=d.std, low=d.low, high=d.high)
    elif isinstance(d, Normal):
        out.update(distribution=d.kind, mean=d.mean_, std=d.std)
    elif isinstance(d, Fixed):
        out.update(distribution=d.kind, value=d.value)
    elif isinstance(d, Choice):
        values = list(term.labels) if term.labels else list(d.values)
        out.update(distribution="choice", values=values)
        if d.probs is not None:
            out["probs"] = list(d.probs)
    out["schedule"] = term.schedule
    if term.every_steps is not None:
        out["every_steps"] = term.every_steps
    if term.centre is not None:
        out["centre"] = term.centre
    if term.shared:
        out["shared"] = True
    if term.body is not None:
        out["body"] = term.body
    if term.width_factor != 1.0:
        out["width_factor"] = term.width_factor
    return out
