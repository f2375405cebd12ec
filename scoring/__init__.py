"""Protocols (the scoring rubrics) and how a session is judged against them."""
from .adherence import Feedback, Score, StepResult, score
from .protocol import Protocol, ProtocolStep, load_protocol

__all__ = ["Protocol", "ProtocolStep", "load_protocol", "score", "Score", "StepResult", "Feedback"]
