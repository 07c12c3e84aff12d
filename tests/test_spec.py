"""Spec files: validation with one clear sentence per mistake, round trips, re-centring."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from simreal.randomization import BoundSpec, SpecError, load_spec, parse_spec


def _term(**overrides) -> dict:  # noqa: ANN003
    term = {
        "param": "body[pole].mass",
        "op": "scale",
        "distribution": "uniform",
        "low": 0.8,
        "high": 1.2,
    }
    term.update(overrides)
    return {k: v for k, v in term.items() if v is not None}


def _model(env_id: str = "simreal/PendulumSwingup-v0"):  # noqa: ANN202
    return gym.make(env_id).unwrapped.model


@pytest.mark.parametrize(
    ("term", "message"),
    [
        (
            _term(distribution="gaussian"),
            "term 1 \\(body\\[pole\\].mass\\): unknown distribution 'gaussian'",
        ),
        (_term(op="multiply"), "unknown op 'multiply'; use one of scale, add, set"),
        (_term(low=1.5, high=0.5), "low > high \\(1.5 > 0.5\\); swap them"),
        (_term(distribution="normal", low=None, high=None, mean=1.0, std=-0.1), "std must be >= 0"),
        (_term(distribution="log_uniform", low=0.0), "log_uniform needs 0 < low"),
        (_term(schedule="hourly"), "unknown schedule 'hourly'"),
        (_term(schedule="every_steps", every_steps=0), "every_steps must be an integer >= 1"),
        (_term(param="pole.mass"), "term 1: 'pole.mass' is not a parameter id"),
        (_term(lo=0.5), "unknown key\\(s\\) \\['lo'\\]"),
        (
            _term(distribution="choice", low=None, high=None, values=[1, 2], probs=[0.5, 0.6]),
            "probs must be >= 0 and sum to 1",
        ),
    ],
)
def test_invalid_terms_are_named_with_the_fix(term: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec({"terms": [term]})


def test_negative_width_and_duplicate_terms() -> None:
    with pytest.raises(SpecError, match="width must be >= 0"):
        parse_spec({"width": -1, "terms": [_term()]})
    with pytest.raises(SpecError, match="appears in two terms"):
        parse_spec({"terms": [_term(), _term()]})


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("terms:\n  - param: body[pole].mass\n    low: [0.8\n")
    with pytest.raises(SpecError, match="bad.yaml: malformed YAML at line"):
        load_spec(path)


def test_binding_errors_name_the_term() -> None:
    model = _model()
    with pytest.raises(SpecError, match="no body named 'poles'.*Closest: pole"):
        BoundSpec(parse_spec({"terms": [_term(param="body[poles].mass")]}), model)
    with pytest.raises(SpecError, match="has no attribute 'colour'"):
        BoundSpec(parse_spec({"terms": [_term(param="geom[bob].colour")]}), model)
    # A spec written for one model, bound to another that lacks the element.
    with pytest.raises(SpecError, match="no body named 'pole'"):
        BoundSpec(parse_spec({"terms": [_term()]}), _model("simreal/Push-v0"))
    with pytest.raises(SpecError, match="nominal value is 0, so scaling never moves it"):
        BoundSpec(parse_spec({"terms": [_term(param="joint[hinge].stiffness")]}), model)
    with pytest.raises(SpecError, match="latency.action: the env has no wrapper"):
        BoundSpec(
            parse_spec({"terms": [_term(param="latency.action", op="set", low=0, high=0.1)]}), model
        )


def test_latency_longer_than_the_episode_is_rejected() -> None:
    import simreal

    spec = {"terms": [_term(param="latency.action", op="set", low=0.0, high=9.0)]}
    with pytest.raises(
        SpecError, match="latency.action: up to 9 s of latency is not shorter than the 8 s episode"
    ):
        simreal.make("simreal/PendulumSwingup-v0", dr=spec)


def test_yaml_round_trip(tmp_path: Path) -> None:
    spec = load_spec(Path(__file__).parents[1] / "envs" / "push" / "dr_pixels.yaml")
    path = tmp_path / "copy.yaml"
    path.write_text(spec.to_yaml())
    assert load_spec(path).terms == spec.terms


def test_recentring_moves_centres_and_keeps_spreads() -> None:
    spec = parse_spec({"terms": [
        _term(),  # scale uniform [0.8, 1.2]
        _term(param="joint[hinge].damping", distribution="log_uniform", low=0.5, high=2.0),
        _term(param="option.viscosity", op="add", distribution="normal",
              low=None, high=None, mean=0.0, std=0.1),
    ]})  # fmt: skip
    model = _model()
    bound = BoundSpec(spec, model)
    mass = bound.nominal["body[pole].mass"][0]
    damping = bound.nominal["joint[hinge].damping"][0]
    fit = {
        "body[pole].mass": 1.3 * mass,
        "joint[hinge].damping": 4.0 * damping,
        "option.viscosity": 0.02,
    }
    centred = bound.recentred(fit)
    mass_term = centred.term("body[pole].mass")
    assert mass_term.centre == pytest.approx(1.3)
    assert (mass_term.distribution.low, mass_term.distribution.high) == pytest.approx((1.1, 1.5))
    damping_term = centred.term("joint[hinge].damping")
    assert (damping_term.distribution.low, damping_term.distribution.high) == pytest.approx(
        (2.0, 8.0)
    )
    viscosity_term = centred.term("option.viscosity")
    assert viscosity_term.distribution.mean_ == pytest.approx(0.02)
    assert viscosity_term.distribution.std == pytest.approx(0.1)
    # Width 0 now gives exactly the fit.
    rebound = BoundSpec(centred, model)
    values = rebound.sample(np.random.default_rng(0), width=0.0)
    assert values["body[pole].mass"][0] == pytest.approx(1.3 * mass)
    assert values["joint[hinge].damping"][0] == pytest.approx(4.0 * damping)
