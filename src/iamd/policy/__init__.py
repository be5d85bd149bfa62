"""The policy language: grammar, validation, evaluation, simulation. Pure functions, no I/O."""
