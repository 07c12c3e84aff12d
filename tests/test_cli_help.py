"""Every flag of every ``simreal`` command explains itself and states its default."""

from __future__ import annotations

import argparse

import pytest

from simreal.cli import build_parser

FLAG_ACTIONS = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._VersionAction)


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("simreal has no subcommands")


COMMANDS = subparsers()


def rendered_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The action's help as ``--help`` prints it (``%(default)s`` and the like filled in)."""
    return parser._get_formatter()._expand_help(action)


def in_required_group(parser: argparse.ArgumentParser, action: argparse.Action) -> bool:
    return any(g.required and action in g._group_actions for g in parser._mutually_exclusive_groups)


def test_every_command_is_walked() -> None:
    assert {"train", "eval", "collect", "bc", "finetune", "record", "sysid", "sweep"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_help_with_its_default(name: str) -> None:
    parser = COMMANDS[name]
    missing, no_default = [], []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        flag = action.option_strings[-1]
        if not action.help or action.help == argparse.SUPPRESS:
            missing.append(flag)
            continue
        needs_default = not (
            action.required or in_required_group(parser, action) or isinstance(action, FLAG_ACTIONS)
        )
        if needs_default and "default" not in rendered_help(parser, action):
            no_default.append(flag)
    assert not missing, f"simreal {name}: no help for {missing}"
    assert not no_default, f"simreal {name}: help does not state the default of {no_default}"


@pytest.mark.parametrize("name", [None, *sorted(COMMANDS)])
def test_rendered_help_has_no_doubled_percent_signs(name: str | None) -> None:
    text = (build_parser() if name is None else COMMANDS[name]).format_help()
    assert "%%" not in text
    assert "%(" not in text
