"""Torque-limited pendulum swing-up."""
