"""Protocols (the scoring rubrics) and how a session is judged against them."""
from .adherence import SCORING_VERSION, Feedback, Score, StepResult, fail_reasons, score, step_label
from .protocol import Protocol, ProtocolStep, load_protocol

__all__ = ["Protocol", "ProtocolStep", "load_protocol", "score", "Score", "StepResult", "Feedback", "step_label", "fail_reasons", "SCORING_VERSION"]
