"""Defuse: the role-play simulator. The pure core (actions, model, customer, engine, loader)
and the shells around it (store, library, command line, front ends)."""
from .actions import Action
from .diagnostics import DefuseError, Diagnostic, IllegalChoice, ScenarioError
from .engine import available, choose, start
from .model import Band, Outcome, Scenario, State, Turn

__all__ = [
    "Action",
    "Band",
    "Outcome",
    "Scenario",
    "State",
    "Turn",
    "start",
    "choose",
    "available",
    "Diagnostic",
    "DefuseError",
    "ScenarioError",
    "IllegalChoice",
]
