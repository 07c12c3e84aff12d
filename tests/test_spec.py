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
        SpecError,
        match="latency.action: up to 9 s of latency at width 1 is not shorter than the 8 s episode",
    ):
        simreal.make("simreal/PendulumSwingup-v0", dr=spec)


def test_latency_guard_uses_the_width_the_env_samples_at() -> None:
    import simreal
    from simreal.vector.batch_env import BatchedVectorEnv

    spec = {"width": 1.0, "terms": [_term(param="latency.action", op="set", low=0.0, high=2.0)]}
    env = simreal.make("simreal/PendulumSwingup-v0", dr=spec, width=3.9)
    env.reset(seed=0)  # up to 7.8 s: allowed
    for build in (
        lambda: simreal.make("simreal/PendulumSwingup-v0", dr=spec, width=4.0),
        lambda: BatchedVectorEnv("simreal/PendulumSwingup-v0", 2, dr=spec, width=4.0),
    ):
        with pytest.raises(SpecError, match="up to 8 s of latency at width 4 is not shorter"):
            build()
    with pytest.raises(SpecError, match="up to 9 s of latency at width 4.5"):
        _dr_wrapper(env).width = 4.5
    assert _dr_wrapper(env).width == 3.9


def _dr_wrapper(env: gym.Env) -> object:
    from simreal.wrappers.domain_randomization import DomainRandomization

    while not isinstance(env, DomainRandomization):
        env = env.env
    return env


def test_unbounded_latency_is_refused_when_bound() -> None:
    import simreal

    normal = _term(param="latency.action", op="set", distribution="normal", low=None, high=None,
                   mean=0.02, std=0.01)  # fmt: skip
    with pytest.raises(SpecError, match="latency.action: a normal draw has no upper bound"):
        simreal.make("simreal/PendulumSwingup-v0", dr={"terms": [normal]})
    bounded = {**normal, "distribution": "truncated_normal", "low": 0.0, "high": 0.05}
    simreal.make("simreal/PendulumSwingup-v0", dr={"terms": [bounded]}).reset(seed=0)


LATENCY_LOG = _term(
    param="latency.action", op="set", distribution="log_uniform", low=0.01, high=0.05
)


@pytest.mark.parametrize("width", [0.5, 1.0, 1.5])
def test_log_uniform_about_a_zero_nominal_is_refused_when_bound(width: float) -> None:
    import simreal

    with pytest.raises(
        SpecError,
        match=(
            "latency.action: log_uniform widens in log space about its centre, which is 0 here "
            "\\(the nominal of an op: set term\\); give a positive centre \\(e.g. centre: 0.0224"
        ),
    ):
        simreal.make("simreal/PendulumSwingup-v0", dr={"terms": [LATENCY_LOG]}, width=width)


@pytest.mark.parametrize(
    ("term", "where"),
    [
        (_term(op="add", distribution="log_uniform", low=0.5, high=2.0), "default of an op: add"),
        (_term(distribution="log_uniform", low=0.5, high=2.0, centre=0.0), "the centre given"),
        (_term(distribution="log_uniform", low=0.5, high=2.0, centre=-1.0), "the centre given"),
    ],
)
def test_log_uniform_about_a_centre_that_is_not_positive_is_refused_when_parsed(
    term: dict, where: str
) -> None:
    with pytest.raises(SpecError, match=f"term 1 \\(body\\[pole\\].mass\\): .*{where}"):
        parse_spec({"terms": [term]})


def test_log_uniform_latency_with_a_positive_centre_widens_about_it() -> None:
    import simreal

    centre = float(np.sqrt(0.01 * 0.05))
    spec = {"terms": [{**LATENCY_LOG, "centre": centre}]}
    for width in (0.0, 1.0, 1.5):
        env = simreal.make("simreal/PendulumSwingup-v0", dr=spec, width=width)
        delays = [env.reset(seed=s)[1]["dr"]["latency.action"] for s in range(200)]
        low, high = (centre * (x / centre) ** width for x in (0.01, 0.05))
        assert min(delays) >= low - 1e-15 and max(delays) <= high + 1e-15
        assert max(delays) - min(delays) > 0.9 * (high - low) - 1e-15
    assert high == pytest.approx(0.0748, abs=1e-4)  # not thousands of seconds


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


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--dr: latency.action: log_uniform widens in log space about its centre"),
        (["--width", "9"], "--dr: latency.action: up to 2.25 s of latency at width 9 is not"),
    ],
)
def test_cli_refuses_a_spec_that_does_not_bind_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture, extra: list[str], message: str
) -> None:
    from simreal.cli import main

    term = LATENCY_LOG if not extra else _term(param="latency.action", op="set", low=0, high=0.25)
    spec = tmp_path / "spec.yaml"
    spec.write_text(parse_spec({"terms": [term]}).to_yaml())
    out = tmp_path / "run"
    argv = ["train", "--task", "simreal/Reach-v0", "--dr", str(spec), "--out", str(out)]
    argv += ["--steps", "64", *extra]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()
