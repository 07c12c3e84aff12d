"""Domain randomization: specs, distributions, the width knob and the sampler."""

from simreal.randomization.sampler import BoundSpec
from simreal.randomization.spec import DRSpec, SpecError, Term, load_spec, parse_spec

__all__ = ["BoundSpec", "DRSpec", "SpecError", "Term", "load_spec", "parse_spec"]
