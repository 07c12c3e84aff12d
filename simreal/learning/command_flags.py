"""Flags shared by the learning commands: the DR spec and its width, checked before any work."""

from __future__ import annotations

import argparse


def add_dr_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--dr`` and ``--width`` to a command."""
    parser.add_argument(
        "--dr",
        default=None,
        help="DR spec: 'default' (the task's), a YAML path (a sysid fit.yaml too), "
        "or omit for none",
    )
    parser.add_argument(
        "--width",
        type=float,
        default=None,
        help="global randomization width >= 0 (default: the spec's width, 1 unless it sets one)",
    )


def check_dr(
    parser: argparse.ArgumentParser, dr: str | None, task: str, width: float | None = None
) -> object:
    """Load and bind a --dr spec to the task before any work; bad input ends in ``parser.error``.

    Returns:
        The spec as a dict, or ``None`` without --dr.
    """
    from simreal.factory import make
    from simreal.randomization import SpecError, load_spec

    if dr is None:
        return None
    if dr == "default":
        from simreal.cli_checks import require_task

        fix = "give a spec file, --dr spec.yaml"
        row = require_task(parser, "--dr default", task, "default DR spec", fix)
        dr = str(row.default_spec_path)
    try:
        spec = load_spec(dr)
        make(task, dr=spec, width=width).close()  # binding checks need the task's model
    except (SpecError, FileNotFoundError) as error:
        parser.error(f"--dr: {error}")
    except ValueError as error:
        parser.error(str(error))
    return spec.to_dict()
