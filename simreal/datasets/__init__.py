"""Demonstration and log datasets in formats other projects write (LeRobot v3)."""
