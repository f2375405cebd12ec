"""Protocols (the scoring rubrics) and how a session is judged against them: values in, a score out.

Pure: no files, no clock. Protocol files are read by `simulator.protocol_loader`.
"""
from .adherence import SCORING_VERSION, Feedback, Score, StepResult, fail_reasons, score, step_label
from .protocol import Protocol, ProtocolStep

__all__ = ["Protocol", "ProtocolStep", "score", "Score", "StepResult", "Feedback", "step_label", "fail_reasons", "SCORING_VERSION"]
