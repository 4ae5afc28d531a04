"""Experiments: one-off measurements of designs we did not build, kept so their figures can be reproduced."""
