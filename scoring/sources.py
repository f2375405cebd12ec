"""The source documents the bundled protocols come from, by the file names protocols cite.

A listing shows a source's title, not its file name; a protocol of the trainer's own that
cites some other document is shown with the name it gives.
"""
from __future__ import annotations

__all__ = ["SOURCE_TITLES", "source_title"]

# Titles describe each text in our own words (see /work/shared/seeds/README.md for what each holds).
SOURCE_TITLES: dict[str, str] = {
    "000_d4074a999a6a7eab.txt": "Dealing with an irate customer: a ten-step process and its short versions",
    "001_1adcf1249cab8363.txt": "Angry customers: the six-step, five-step and insult-handling lists",
    "002_9476ac1fe0d6b0ef.txt": "Angry or irate callers: an eleven-step call flow",
    "003_f85203780d832732.txt": "Twelve strategies for an irate customer",
    "004_308c06dcf878ab7c.txt": "Three advanced techniques for persistent abuse",
}


def source_title(file: str) -> str:
    """The title of a cited source, or the citation itself when it is not one of ours."""
    return SOURCE_TITLES.get(file, file)
