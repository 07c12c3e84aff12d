"""Vectorised simulation: many randomized MuJoCo simulations stepped as one env."""
