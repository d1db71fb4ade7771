"""The rubric's tables: causes, their neighbours, containment actions and how to tell causes apart.

Everything the grader judges by a table lives here, so a reviewer can read the
whole rubric in one place.

Examples
--------
>>> fit("label_noise", "retrain_recent")[0]
'wrong'
>>> fit("prior_shift", "recalibrate_threshold")[0]
'right'
>>> neighbours("covariate_drift")
('prior_shift', 'schema_change')
"""

from __future__ import annotations

from typing import Literal

from modelward._causes import CAUSES

__all__ = [
    "ACTIONS",
    "CAUSES",
    "CONTAINMENT",
    "NEIGHBOURS",
    "TELL_APART",
    "Fit",
    "fit",
    "neighbours",
]


#: Containment actions: id -> what it means.
ACTIONS: dict[str, str] = {
    "retrain_recent": "Retrain (or reweight) on recent, correctly labelled traffic",
    "recalibrate_threshold": "Recalibrate scores or move the threshold to the new class mix",
    "rollback_model": "Roll back to the previous model or serving version",
    "fix_pipeline": "Fix the upstream pipeline or schema mapping; quarantine affected predictions",
    "quarantine_labels": "Quarantine the suspect labels; keep them out of training and metrics",
    "restore_feed": "Restore the missing segment's data feed and backfill it",
    "wait_for_labels": "Hold label-based metrics and retraining until labels mature",
    "scale_serving": "Scale serving capacity or revert the slow serving change; add a timeout",
    "fallback_rules": "Route the affected traffic to a fallback (rules or human review)",
    "none_needed": "None needed",
}

Fit = Literal["right", "acceptable", "wrong"]

#: Per cause: the right actions, the acceptable stopgaps, and why the wrong ones are wrong.
CONTAINMENT: dict[str, dict[str, object]] = {
    "covariate_drift": {
        "right": ("retrain_recent",),
        "acceptable": ("fallback_rules", "recalibrate_threshold"),
        "why": "P(y|x) still holds, so relearning on the new input mix (or reweighting) fixes it;"
        " rolling back gives a model trained on the same old mix",
    },
    "prior_shift": {
        "right": ("recalibrate_threshold",),
        "acceptable": ("retrain_recent",),
        "why": "P(x|y) is unchanged: only the class mix moved, so the threshold/prior is what"
        " must adapt; a rollback or pipeline fix changes nothing",
    },
    "concept_drift": {
        "right": ("retrain_recent",),
        "acceptable": ("fallback_rules",),
        "why": "the labels are correct and the rule changed; the model must learn the new"
        " P(y|x) from recent labels. Quarantining correct labels or rolling back to a model"
        " of the old concept keeps it wrong",
    },
    "label_noise": {
        "right": ("quarantine_labels",),
        "acceptable": ("wait_for_labels",),
        "why": "the recorded labels are corrupt; retraining on them bakes the noise into the"
        " model, and threshold changes chase an artefact",
    },
    "schema_change": {
        "right": ("fix_pipeline",),
        "acceptable": ("fallback_rules",),
        "why": "the world did not change, the representation did; retraining would learn the"
        " broken units and rolling back the model does not fix its inputs",
    },
    "data_gap": {
        "right": ("restore_feed",),
        "acceptable": ("fallback_rules",),
        "why": "a segment's rows stopped arriving; retraining now would drop the segment from"
        " the training set",
    },
    "label_delay": {
        "right": ("wait_for_labels",),
        "acceptable": ("none_needed",),
        "why": "the model is fine; early labels are a biased sample (positives arrive late), so"
        " retraining or recalibrating on them would be wrong",
    },
    "latency_regression": {
        "right": ("scale_serving",),
        "acceptable": ("rollback_model",),
        "why": "predictions are as accurate as before; the serving path got slow, so capacity"
        " or the serving change is what must move, not the model's training",
    },
    "none": {
        "right": ("none_needed",),
        "acceptable": (),
        "why": "the system is healthy; acting on noise costs work and can break a good model",
    },
}

#: Causes a learner can be forgiven for confusing with the true one (partial credit).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "covariate_drift": ("prior_shift", "schema_change"),
    "prior_shift": ("covariate_drift", "label_delay"),
    "concept_drift": ("label_noise",),
    "label_noise": ("concept_drift",),
    "schema_change": ("covariate_drift",),
    "data_gap": ("covariate_drift",),
    "label_delay": ("prior_shift", "label_noise"),
    "latency_regression": (),
    "none": (),
}

#: How a strong answer rules out a neighbouring cause: (true, other) -> the evidence to look at.
TELL_APART: dict[tuple[str, str], str] = {
    ("covariate_drift", "prior_shift"): "feature distributions moved and P(y|feature bin) held;"
    " a prior shift moves the score mix without any feature moving on its own",
    ("covariate_drift", "schema_change"): "values stayed in range with no nulls, unseen"
    " categories or x100 jumps: the shift is smooth, not a representation break",
    ("prior_shift", "covariate_drift"): "every feature moved together in the direction of the"
    " class, and P(x|y) held: the class mix changed, not the inputs",
    ("prior_shift", "label_delay"): "the positive rate moved among predictions too (scores),"
    " not only among the labels that have arrived",
    ("concept_drift", "label_noise"): "errors rose only in one feature region and confident"
    " rows elsewhere kept their accuracy; noise would flip labels everywhere",
    ("label_noise", "concept_drift"): "errors rose on confidently scored rows in every region,"
    " not in one region of one feature",
    ("schema_change", "covariate_drift"): "a jump on one day: nulls, unseen categories, or a"
    " unit factor, which no real population moves by",
    ("data_gap", "covariate_drift"): "one segment's volume collapsed; inside the other"
    " segments the features did not move",
    ("label_delay", "prior_shift"): "the lag distribution of label_timestamp - timestamp grew;"
    " the score mix of predictions did not move",
    ("label_delay", "label_noise"): "labels that did arrive were as accurate as before; only"
    " fewer (mostly negative) arrived",
}


def neighbours(cause: str) -> tuple[str, ...]:
    """Causes that earn partial diagnosis credit when ``cause`` is the truth."""
    return NEIGHBOURS.get(cause, ())


def fit(cause: str, action: str) -> tuple[Fit, str]:
    """How well ``action`` contains ``cause``: (``right``/``acceptable``/``wrong``, why)."""
    row = CONTAINMENT[cause]
    right = row["right"]
    acceptable = row["acceptable"]
    why = str(row["why"])
    assert isinstance(right, tuple)
    assert isinstance(acceptable, tuple)
    if action in right:
        return "right", why
    if action in acceptable:
        return "acceptable", f"a stopgap, not the fix: {why}"
    return "wrong", why
