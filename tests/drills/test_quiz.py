from __future__ import annotations

from pathlib import Path

import pytest

from modelward.drills.quiz import check, glossary_text, load_glossary, make_quiz

ROOT = Path(__file__).resolve().parents[2]


def test_docs_glossary_and_package_copy_do_not_drift() -> None:
    assert (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8") == glossary_text()


@pytest.mark.parametrize(
    "term",
    [
        "Covariate shift",
        "Prior shift",
        "Concept drift",
        "Data drift",
        "Model drift",
        "Training-serving skew",
        "Feedback loop",
        "Label leakage",
        "Calibration",
        "Precision-recall trade-off",
        "p99 latency",
        "Data lineage",
    ],
)
def test_required_vocabulary_is_defined(term: str) -> None:
    terms = {t.term: t for t in load_glossary()}
    assert term in terms
    assert len(terms[term].definition) > 80


def test_confused_with_names_real_terms() -> None:
    terms = load_glossary()
    names = {t.term for t in terms}
    for t in terms:
        assert set(t.confused_with) <= names, t.term


def test_questions_hide_the_term_and_check_answers() -> None:
    qs = make_quiz(n=50, seed=3)
    assert len(qs) == len(load_glossary())
    assert len({q.answer for q in qs}) == len(qs)
    for q in qs:
        assert q.answer.lower() not in q.prompt.lower()
        assert len(set(q.options)) == 4
        ok, why = check(q, q.options.index(q.answer) + 1)
        assert ok
        assert q.answer in why
        wrong = next(o for o in q.options if o != q.answer)
        ok, why = check(q, wrong)
        assert not ok
        assert why.startswith("Not quite")
