"""Gymnasium wrappers, one concern each: domain randomization, latency, noise, pushes."""
