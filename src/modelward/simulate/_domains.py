"""The synthetic ML systems: features, hidden P(y|x), label arrival, latency.

Each :class:`Domain` draws correlated, skewed features through a latent factor,
holds a hidden non-linear log-odds function (the world's P(y|x), never shown
to the model), and says how labels arrive (source and delay per class).

Examples
--------
>>> import numpy as np
>>> sorted(DOMAINS)
['churn', 'content_moderation', 'fraud', 'loan_default']
>>> x = DOMAINS["fraud"].sample(np.random.default_rng(0), 1000)
>>> sorted(x)[:3]
['account_age_days', 'amount', 'channel']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["DOMAINS", "Cat", "Domain", "Features", "LabelPlan"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Cat:
    """A categorical column: integer codes into ``categories``."""

    codes: IntArray
    categories: tuple[str, ...]

    def eq(self, value: str) -> npt.NDArray[np.bool_]:
        """Rows equal to ``value``."""
        return np.asarray(self.codes == self.categories.index(value))

    def effect(self, effects: dict[str, float]) -> FloatArray:
        """Per-row additive effect looked up by category (0 for unlisted)."""
        table = np.array([effects.get(c, 0.0) for c in self.categories])
        return np.asarray(table[self.codes], dtype=np.float64)


Features = dict[str, "FloatArray | Cat"]


@dataclass(frozen=True)
class LabelPlan:
    """How labels of one class arrive.

    Attributes
    ----------
    sources
        Label source names.
    shares
        Probability of each source.
    median_hours
        Median delay of each source (lognormal).
    sigma
        Lognormal sigma of each source's delay.
    min_hours
        Fixed minimum delay of each source (e.g. a chargeback window).
    coverage
        Probability that the label ever arrives.
    """

    sources: tuple[str, ...]
    shares: tuple[float, ...]
    median_hours: tuple[float, ...]
    sigma: tuple[float, ...]
    min_hours: tuple[float, ...]
    coverage: float = 1.0


@dataclass(frozen=True)
class Domain:
    """A synthetic production ML system.

    Attributes
    ----------
    name
        Domain name (``fraud``).
    description
        One line for humans.
    base_rate
        Positive rate the hidden P(y|x) is calibrated to.
    alert_rate
        Share of reference traffic above the serving threshold.
    sample
        ``sample(rng, n) -> Features``: draw ``n`` rows of features.
    logit
        Hidden log-odds of the positive class, before the calibrated intercept.
    log_features
        Skewed numeric features the model sees through a signed log.
    segments
        Categorical segment columns.
    drift_features
        Features a covariate drift moves by default.
    concept_feature
        Feature whose region a concept drift relabels by default.
    hour_profile
        Relative traffic by hour of day (24 values).
    weekly_profile
        Relative traffic by day of week (Monday first, 7 values).
    latency_median_ms, latency_sigma, spike_prob
        Lognormal serving latency and the probability of a 5-30x spike.
    positive_labels, negative_labels
        How labels of each class arrive.
    """

    name: str
    description: str
    base_rate: float
    alert_rate: float
    sample: Callable[[np.random.Generator, int], Features]
    logit: Callable[[Features], FloatArray]
    log_features: tuple[str, ...]
    segments: tuple[str, ...]
    drift_features: tuple[str, ...]
    concept_feature: str
    hour_profile: tuple[float, ...]
    weekly_profile: tuple[float, ...]
    latency_median_ms: float
    latency_sigma: float
    spike_prob: float
    positive_labels: LabelPlan
    negative_labels: LabelPlan


def _cat(rng: np.random.Generator, n: int, shares: dict[str, float]) -> Cat:
    p = np.array(list(shares.values()), dtype=np.float64)
    codes = rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)
    return Cat(codes, tuple(shares))


def _f(x: object) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _num(x: FloatArray | Cat) -> FloatArray:
    assert not isinstance(x, Cat)
    return x


def _c(x: FloatArray | Cat) -> Cat:
    assert isinstance(x, Cat)
    return x


# --------------------------------------------------------------------------- fraud


def _fraud_sample(rng: np.random.Generator, n: int) -> Features:
    risk = rng.standard_normal(n)  # latent: riskier customers spend more, faster, farther
    merchant = _cat(
        rng,
        n,
        {
            "grocery": 30,
            "fashion": 20,
            "electronics": 15,
            "travel": 12,
            "gaming": 8,
            "restaurants": 15,
        },
    )
    m_level = merchant.effect(
        {"electronics": 1.2, "travel": 1.5, "grocery": -0.4, "restaurants": -0.2, "gaming": 0.2}
    )
    amount = np.exp(3.6 + m_level + 0.35 * risk + 0.8 * rng.standard_normal(n))
    return {
        "amount": _f(np.round(amount, 2)),
        "account_age_days": np.floor(rng.gamma(1.3, 420.0, n) * np.exp(-0.25 * risk)),
        "n_tx_24h": rng.poisson(np.exp(0.8 + 0.45 * risk)).astype(np.float64),
        "distance_km": _f(np.round(np.exp(2.2 + 0.6 * risk + 1.3 * rng.standard_normal(n)), 1)),
        "merchant_category": merchant,
        "country": _cat(rng, n, {"US": 52, "GB": 12, "DE": 9, "FR": 8, "BR": 7, "IN": 7, "NG": 5}),
        "channel": _cat(rng, n, {"web": 45, "app": 40, "pos": 15}),
    }


def _fraud_logit(x: Features) -> FloatArray:
    amount, age = _num(x["amount"]), _num(x["account_age_days"])
    ntx, dist = _num(x["n_tx_24h"]), _num(x["distance_km"])
    channel = _c(x["channel"])
    return (
        0.75 * np.log(amount)
        + 1.6 * (age < 30)
        + 0.9 * np.log1p(ntx)
        + 0.9 * ((dist > 300) & ~channel.eq("pos"))
        + 0.8 * np.tanh(np.log(amount) - 5.5) * (age < 180)
        + _c(x["country"]).effect({"NG": 1.3, "BR": 0.6, "IN": 0.4, "GB": -0.2})
        + _c(x["merchant_category"]).effect(
            {"electronics": 0.8, "gaming": 1.0, "travel": 0.4, "grocery": -0.9}
        )
        + channel.effect({"web": 0.5, "pos": -1.0})
    )


# --------------------------------------------------------------------- moderation


def _mod_sample(rng: np.random.Generator, n: int) -> Features:
    hostility = rng.standard_normal(n)  # latent: how hostile the author is
    upstream = 1.0 / (1.0 + np.exp(-(-2.2 + 1.3 * hostility + 0.6 * rng.standard_normal(n))))
    return {
        "text_length": np.floor(np.exp(4.2 + 0.9 * rng.standard_normal(n) + 0.1 * hostility)),
        "toxicity_v0": np.round(upstream, 4),
        "account_age_days": np.floor(rng.gamma(1.1, 500.0, n) * np.exp(-0.3 * hostility)),
        "n_prior_reports": rng.poisson(np.exp(-1.2 + 0.8 * hostility)).astype(np.float64),
        "followers": np.floor(np.exp(4.0 + 1.8 * rng.standard_normal(n))),
        "language": _cat(rng, n, {"en": 48, "es": 15, "pt": 10, "hi": 10, "ar": 9, "fr": 8}),
        "content_type": _cat(rng, n, {"text": 55, "image": 25, "video": 12, "link": 8}),
    }


def _mod_logit(x: Features) -> FloatArray:
    tox, reports = _num(x["toxicity_v0"]), _num(x["n_prior_reports"])
    age, length = _num(x["account_age_days"]), _num(x["text_length"])
    ctype = _c(x["content_type"])
    return (
        5.0 * tox**1.5
        + 0.7 * np.sqrt(reports)
        + 1.1 * (age < 14)
        - 0.25 * np.abs(np.log1p(length) - 4.0)
        + 1.0 * ctype.eq("link") * (age < 60)
        + ctype.effect({"image": 0.3, "video": 0.2})
        + _c(x["language"]).effect({"ar": 0.3, "hi": 0.2, "fr": -0.2})
        - 0.15 * np.log1p(_num(x["followers"]))
    )


# --------------------------------------------------------------------------- loans


def _loan_sample(rng: np.random.Generator, n: int) -> Features:
    wealth = rng.standard_normal(n)  # latent: financial strength
    income = np.exp(10.9 + 0.45 * wealth + 0.3 * rng.standard_normal(n))
    loan = np.exp(np.log(income) - 1.4 + 0.5 * rng.standard_normal(n))
    return {
        "income": _f(np.round(income, -2)),
        "loan_amount": _f(np.round(loan, -2)),
        "debt_to_income": np.clip(rng.beta(2.0, 5.0, n) * np.exp(-0.25 * wealth), 0.0, 1.5),
        "credit_score": np.clip(
            np.round(690 + 55 * wealth + 35 * rng.standard_normal(n)), 300, 850
        ),
        "employment_years": np.round(rng.gamma(2.0, 3.5, n) * np.exp(0.2 * wealth), 1),
        "purpose": _cat(
            rng,
            n,
            {"debt_consolidation": 40, "home": 20, "car": 18, "business": 12, "education": 10},
        ),
        "region": _cat(rng, n, {"south": 38, "west": 24, "midwest": 21, "northeast": 17}),
        "channel": _cat(rng, n, {"online": 55, "branch": 30, "broker": 15}),
    }


def _loan_logit(x: Features) -> FloatArray:
    score, dti = _num(x["credit_score"]), _num(x["debt_to_income"])
    ratio = _num(x["loan_amount"]) / _num(x["income"])
    return (
        -0.018 * (score - 690)
        + 0.00004 * np.maximum(650 - score, 0) ** 2
        + 3.0 * np.maximum(dti - 0.35, 0)
        + 1.2 * np.log1p(4 * ratio)
        - 0.08 * np.minimum(_num(x["employment_years"]), 10)
        + _c(x["purpose"]).effect({"business": 0.7, "education": 0.3, "home": -0.4})
        + _c(x["channel"]).effect({"broker": 0.5, "branch": -0.2})
    )


# --------------------------------------------------------------------------- churn


def _churn_sample(rng: np.random.Generator, n: int) -> Features:
    engagement = rng.standard_normal(n)  # latent: how much the customer uses the product
    plan = _cat(rng, n, {"basic": 50, "standard": 35, "premium": 15})
    spend = np.exp(
        3.0
        + plan.effect({"standard": 0.6, "premium": 1.3})
        + 0.3 * engagement
        + 0.25 * rng.standard_normal(n)
    )
    return {
        "tenure_months": np.floor(rng.exponential(22.0, n) * np.exp(0.2 * engagement)),
        "monthly_spend": _f(np.round(spend, 2)),
        "sessions_30d": rng.negative_binomial(2, 2 / (2 + np.exp(2.5 + 0.8 * engagement))).astype(
            np.float64
        ),
        "support_tickets_30d": rng.poisson(np.exp(-1.3 - 0.3 * engagement)).astype(np.float64),
        "discount_pct": np.round(rng.beta(0.6, 4.0, n) * 50, 1),
        "plan": plan,
        "country": _cat(rng, n, {"US": 45, "GB": 15, "DE": 13, "IN": 15, "BR": 12}),
        "device": _cat(rng, n, {"ios": 40, "android": 42, "web": 18}),
    }


def _churn_logit(x: Features) -> FloatArray:
    sessions, tenure = _num(x["sessions_30d"]), _num(x["tenure_months"])
    return (
        -0.9 * np.log1p(sessions)
        + 1.4 * (tenure < 3)
        - 0.3 * np.log1p(tenure)
        + 0.45 * np.minimum(_num(x["support_tickets_30d"]), 4)
        + 0.04 * _num(x["discount_pct"]) * (tenure < 12)
        + 0.5 * np.log(_num(x["monthly_spend"]) / 20.0) * _c(x["plan"]).eq("basic")
        + _c(x["device"]).effect({"web": 0.4, "ios": -0.2})
        + _c(x["country"]).effect({"IN": 0.3, "BR": 0.3, "DE": -0.2})
    )


_DAY_HOURS = (1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 8, 8, 8, 8, 8, 8, 7, 6, 5, 3, 2)
_EVENING_HOURS = (3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 7, 7, 7, 7, 8, 9, 10, 10, 9, 7, 5)

DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        Domain(
            name="fraud",
            description="card-not-present payment fraud scoring",
            base_rate=0.015,
            alert_rate=0.03,
            sample=_fraud_sample,
            logit=_fraud_logit,
            log_features=("amount", "account_age_days", "n_tx_24h", "distance_km"),
            segments=("country", "channel", "merchant_category"),
            drift_features=("amount", "distance_km"),
            concept_feature="distance_km",
            hour_profile=_EVENING_HOURS,
            weekly_profile=(0.95, 0.95, 0.97, 1.0, 1.1, 1.15, 0.9),
            latency_median_ms=38.0,
            latency_sigma=0.35,
            spike_prob=0.004,
            positive_labels=LabelPlan(
                ("chargeback", "manual_review"), (0.8, 0.2), (240.0, 20.0), (0.5, 0.6), (48.0, 1.0)
            ),
            negative_labels=LabelPlan(
                ("chargeback", "manual_review"), (0.7, 0.3), (48.0, 30.0), (0.5, 0.6), (336.0, 1.0)
            ),
        ),
        Domain(
            name="content_moderation",
            description="policy-violation classifier for user posts",
            base_rate=0.08,
            alert_rate=0.08,
            sample=_mod_sample,
            logit=_mod_logit,
            log_features=("text_length", "account_age_days", "n_prior_reports", "followers"),
            segments=("language", "content_type"),
            drift_features=("toxicity_v0",),
            concept_feature="toxicity_v0",
            hour_profile=_DAY_HOURS,
            weekly_profile=(1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.15),
            latency_median_ms=85.0,
            latency_sigma=0.45,
            spike_prob=0.006,
            positive_labels=LabelPlan(
                ("user_report", "manual_review"),
                (0.6, 0.4),
                (3.0, 6.0),
                (0.8, 0.7),
                (0.1, 0.5),
                coverage=0.9,
            ),
            negative_labels=LabelPlan(
                ("manual_review", "user_report"),
                (0.85, 0.15),
                (8.0, 4.0),
                (0.7, 0.8),
                (0.5, 0.1),
                coverage=0.5,
            ),
        ),
        Domain(
            name="loan_default",
            description="probability of default at loan application",
            base_rate=0.06,
            alert_rate=0.1,
            sample=_loan_sample,
            logit=_loan_logit,
            log_features=("income", "loan_amount", "employment_years"),
            segments=("region", "channel", "purpose"),
            drift_features=("income", "loan_amount"),
            concept_feature="debt_to_income",
            hour_profile=_DAY_HOURS,
            weekly_profile=(1.15, 1.1, 1.1, 1.05, 1.0, 0.5, 0.3),
            latency_median_ms=120.0,
            latency_sigma=0.3,
            spike_prob=0.003,
            positive_labels=LabelPlan(
                ("servicing_report", "manual_review"),
                (0.9, 0.1),
                (150.0, 60.0),
                (0.4, 0.5),
                (120.0, 24.0),
            ),
            negative_labels=LabelPlan(
                ("servicing_report", "manual_review"),
                (0.95, 0.05),
                (150.0, 60.0),
                (0.4, 0.5),
                (120.0, 24.0),
            ),
        ),
        Domain(
            name="churn",
            description="30-day subscription churn risk",
            base_rate=0.15,
            alert_rate=0.15,
            sample=_churn_sample,
            logit=_churn_logit,
            log_features=("tenure_months", "monthly_spend", "sessions_30d", "support_tickets_30d"),
            segments=("plan", "country", "device"),
            drift_features=("sessions_30d",),
            concept_feature="support_tickets_30d",
            hour_profile=_DAY_HOURS,
            weekly_profile=(1.05, 1.0, 1.0, 1.0, 0.95, 0.85, 0.9),
            latency_median_ms=25.0,
            latency_sigma=0.4,
            spike_prob=0.005,
            positive_labels=LabelPlan(
                ("user_report", "billing"), (0.3, 0.7), (6.0, 72.0), (0.8, 0.3), (0.5, 96.0)
            ),
            negative_labels=LabelPlan(("billing",), (1.0,), (72.0,), (0.3,), (96.0,)),
        ),
    )
}
