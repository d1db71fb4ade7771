"""Vocabulary quiz: short questions built from the glossary, each answer checked and explained.

The glossary (``docs/glossary.md``, shipped as ``modelward/drills/glossary.md``)
has one ``## Term`` heading per entry, a definition paragraph and an optional
``Confused with:`` line. A question shows a definition with the term blanked
out and asks which of four terms it defines; the distractors are the terms it
is confused with first, then others drawn with the seed.

Examples
--------
>>> terms = load_glossary()
>>> "Covariate shift" in [t.term for t in terms]
True
>>> q = make_quiz(n=3, seed=0)[0]
>>> len(q.options), q.answer in q.options
(4, True)
>>> check(q, q.options.index(q.answer) + 1)[0], check(q, q.answer.upper())[0]
(True, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import numpy as np

from modelward._exceptions import ConfigError

__all__ = ["Question", "Term", "check", "glossary_text", "load_glossary", "make_quiz"]

_BLANK = "_____"


@dataclass(frozen=True)
class Term:
    """A glossary entry."""

    term: str
    definition: str
    confused_with: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: which term does this definition define?"""

    prompt: str
    options: tuple[str, ...]
    answer: str
    explanation: str


def glossary_text() -> str:
    """The glossary shipped with the package."""
    return resources.files("modelward.drills").joinpath("glossary.md").read_text(encoding="utf-8")


def load_glossary(text: str | None = None) -> list[Term]:
    """Parse the glossary into terms (the shipped one by default)."""
    text = glossary_text() if text is None else text
    terms: list[Term] = []
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        head, _, body = block.partition("\n")
        paras = [p.strip() for p in body.strip().split("\n\n") if p.strip()]
        if not paras:
            raise ConfigError(f"glossary: the entry {head.strip()!r} has no definition")
        confused: tuple[str, ...] = ()
        if paras[-1].startswith("Confused with:"):
            confused = tuple(
                c.strip() for c in paras.pop().removeprefix("Confused with:").split(",")
            )
        definition = " ".join(" ".join(paras).split())
        terms.append(Term(term=head.strip(), definition=definition, confused_with=confused))
    return terms


def _blank(definition: str, term: str) -> str:
    out = re.sub(re.escape(term), _BLANK, definition, flags=re.IGNORECASE)
    for word in term.split():
        if len(word) > 4:
            out = re.sub(rf"\b{re.escape(word)}\b", _BLANK, out, flags=re.IGNORECASE)
    return out


def make_quiz(*, n: int = 8, seed: int = 0, text: str | None = None) -> list[Question]:
    """``n`` questions drawn without replacement (at most one per term)."""
    terms = load_glossary(text)
    if n < 1:
        raise ConfigError(f"The 'n' parameter of make_quiz must be an int >= 1. Got {n} instead.")
    rng = np.random.default_rng(seed)
    names = [t.term for t in terms]
    order = rng.permutation(len(terms))[: min(n, len(terms))]
    out: list[Question] = []
    for i in order:
        t = terms[int(i)]
        distract = [c for c in t.confused_with if c in names and c != t.term][:3]
        others = [x for x in names if x != t.term and x not in distract]
        while len(distract) < 3 and others:
            distract.append(others.pop(int(rng.integers(len(others)))))
        options = [t.term, *distract]
        perm = rng.permutation(len(options))
        opts = tuple(options[int(j)] for j in perm)
        near = ", ".join(t.confused_with) if t.confused_with else "none listed"
        out.append(
            Question(
                prompt=f"Which term is defined here? {_blank(t.definition, t.term)}",
                options=opts,
                answer=t.term,
                explanation=f"{t.term}: {t.definition} (Often confused with: {near}.)",
            )
        )
    return out


def check(question: Question, reply: str | int) -> tuple[bool, str]:
    """Check a reply (option number from 1, or the term's text); return (right, explanation)."""
    chosen: str | None = None
    text = str(reply).strip()
    if text.isdigit() and 1 <= int(text) <= len(question.options):
        chosen = question.options[int(text) - 1]
    else:
        for opt in question.options:
            if opt.lower() == text.lower():
                chosen = opt
    right = chosen == question.answer
    lead = "Right." if right else f"Not quite: you chose {chosen or text!r}."
    return right, f"{lead} {question.explanation}"
