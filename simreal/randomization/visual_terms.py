"""The visual terms of a spec: what a camera sees but the physics does not feel.

Lights, materials (colours and textures), cameras and geom colours change the image and
nothing else. A pixel policy's training treats them apart from the dynamics: it may drop
them (a student without visual randomization), widen them alone (``width_factor``), or
redraw them every few steps (so that, within an episode, the look changes while the
task stays; Tobin et al. 2017 draw a new scene per image).

>>> from simreal.randomization import parse_spec
>>> spec = parse_spec({"terms": [
...     {"param": "light[key].diffuse", "op": "scale", "distribution": "uniform",
...      "low": 0.5, "high": 1.5},
...     {"param": "body[arm].mass", "op": "scale", "distribution": "uniform",
...      "low": 0.8, "high": 1.2}]})
>>> [t.id for t in without_visual(spec).terms]
['body[arm].mass']
>>> [(t.id, t.schedule, t.every_steps) for t in visual_every(spec, 1).terms]
[('light[key].diffuse', 'every_steps', 1), ('body[arm].mass', 'reset', None)]
>>> [(t.id, t.width_factor) for t in visual_width(spec, 2.0).terms]
[('light[key].diffuse', 2.0), ('body[arm].mass', 1.0)]
"""

from __future__ import annotations

from dataclasses import replace

from simreal.randomization.spec import DRSpec, Term

VISUAL_KINDS = ("light", "material", "camera")
"""Element kinds whose parameters only change the rendered image."""


def is_visual(term: Term) -> bool:
    """Whether a term changes only what a camera sees (a geom's ``rgba`` included)."""
    address = term.param
    return address.kind in VISUAL_KINDS or (address.kind == "geom" and address.attribute == "rgba")


def has_visual(spec: DRSpec) -> bool:
    """Whether the spec randomizes anything a camera sees."""
    return any(is_visual(t) for t in spec.terms)


def without_visual(spec: DRSpec) -> DRSpec:
    """The spec's dynamics alone: every visual term dropped."""
    return spec.with_terms([t for t in spec.terms if not is_visual(t)])


def visual_width(spec: DRSpec, factor: float) -> DRSpec:
    """The spec with its visual terms drawn at ``factor`` times the global width.

    Raises:
        ValueError: If ``factor`` is negative.
    """
    if factor < 0:
        raise ValueError(f"factor must be >= 0, got {factor}.")
    return spec.with_terms([
        replace(t, width_factor=factor) if is_visual(t) else t for t in spec.terms
    ])  # fmt: skip


def visual_every(spec: DRSpec, steps: int) -> DRSpec:
    """The spec with its visual terms redrawn at every reset and every ``steps`` steps.

    Raises:
        ValueError: If ``steps`` is below 1.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    return spec.with_terms([
        replace(t, schedule="every_steps", every_steps=steps) if is_visual(t) else t
        for t in spec.terms
    ])  # fmt: skip
