"""A log we did not simulate: scikit-learn's bundled real datasets, scored by real models.

The breast-cancer data (569 rows, 30 real features) is scored by a logistic
regression trained on its first rows; the diabetes data (442 rows) by a linear
regression. Rows are spread over 20 days, a latency is drawn from a lognormal,
and in the second half one real feature is rescaled. The checks compare
``modelward.check`` (Parquet) and ``modelward check`` (CSV) with exact
scikit-learn values. Only loaders that read files shipped inside scikit-learn
are used (no downloads).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

import modelward
from modelward.analyses.results import CheckResult
from modelward.cli.app import app
from modelward.stats.classification import auc_binned_error_bound

START = np.datetime64("2026-03-01T00:00:00", "s")
REFERENCE_END = "2026-03-10"  # days 0..9 inclusive
SHIFTED = "mean_texture"


def _log(x: pd.DataFrame, y: np.ndarray, *, binary: bool, seed: int) -> pd.DataFrame:
    """The rows of a real dataset in the log contract, model trained on the first 35 %."""
    rng = np.random.default_rng(seed)
    n = len(x)
    x = x.rename(columns=lambda c: c.replace(" ", "_")).iloc[rng.permutation(n)]
    y = y[x.index.to_numpy()]
    x = x.reset_index(drop=True)
    n_train = int(0.35 * n)
    est = LogisticRegression(max_iter=2000) if binary else LinearRegression()
    model = make_pipeline(StandardScaler(), est).fit(x.iloc[:n_train], y[:n_train])
    days = np.sort(rng.integers(0, 20, n))
    ts = START + (days * 86400 + rng.integers(0, 86400, n)).astype("timedelta64[s]")
    df = pd.DataFrame(
        {
            "prediction_id": [f"row{i}" for i in range(n)],
            "timestamp": ts.astype("datetime64[us]"),
        }
    )
    if binary:
        score = model.predict_proba(x)[:, 1]
        df["score"] = score
        df["prediction"] = (score >= 0.5).astype(np.int64)
        df["label"] = y.astype(np.int64)
    else:
        df["prediction"] = model.predict(x)
        df["label"] = y.astype(np.float64)
    lag = rng.exponential(3600.0, n).astype("timedelta64[s]")
    df["label_timestamp"] = (ts + lag).astype("datetime64[us]")
    df["latency_ms"] = rng.lognormal(3.0, 0.5, n)
    late = days >= 10
    if binary:  # a real feature shifts in the current window (after scoring: P(x) only)
        x.loc[late, SHIFTED] = x.loc[late, SHIFTED] * 1.6
    return pd.concat([df, x], axis=1)


@pytest.fixture(scope="module")
def cancer(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path, Path]:
    data = load_breast_cancer(as_frame=True)
    df = _log(data.data, data.target.to_numpy(), binary=True, seed=3)
    folder = tmp_path_factory.mktemp("cancer")
    df.to_parquet(folder / "cancer.parquet", index=False)
    df.to_csv(folder / "cancer.csv", index=False)
    return df, folder / "cancer.parquet", folder / "cancer.csv"


@pytest.fixture(scope="module")
def checked(cancer: tuple[pd.DataFrame, Path, Path]) -> CheckResult:
    return modelward.check(str(cancer[1]), reference_end=REFERENCE_END, segments=[])


def _current(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["timestamp"] >= np.datetime64("2026-03-11")]


def test_auc_of_a_real_model_matches_sklearn(
    cancer: tuple[pd.DataFrame, Path, Path], checked: CheckResult
) -> None:
    df, result = cancer[0], checked
    cur = _current(df)
    assert result.n_current_rows == len(cur)
    assert result.performance is not None
    got = result.performance.current.metrics["roc_auc"].value
    exact = roc_auc_score(cur["label"], cur["score"])
    B = 1000
    b = np.clip(np.floor(np.round(cur["score"].to_numpy() * B, 9)), 0, B - 1).astype(int)
    pos = np.bincount(b[cur["label"].to_numpy() == 1], minlength=B)
    neg = np.bincount(b[cur["label"].to_numpy() == 0], minlength=B)
    bound = auc_binned_error_bound(pos, neg)
    assert got is not None
    assert abs(got - exact) <= bound + 1e-12
    assert 0.9 < exact < 1.0  # a real model on real data, not a coin


def test_shift_of_one_real_feature_is_the_only_drift(checked: CheckResult) -> None:
    result = checked
    drifted = {f.feature for f in result.drift.features if f.segment == "" and f.drifted}
    assert drifted == {SHIFTED}
    assert len({f.feature for f in result.drift.features}) == 30


def test_cli_on_csv_agrees_with_api_on_parquet(
    cancer: tuple[pd.DataFrame, Path, Path], checked: CheckResult, tmp_path: Path
) -> None:
    df, _, csv = cancer
    out = tmp_path / "report"
    res = CliRunner().invoke(
        app,
        ["check", str(csv), "--reference-end", REFERENCE_END, "--no-store", "--out", str(out)],
    )
    assert res.exit_code in (0, 1), res.output  # 1: a critical finding (the drift)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    api = checked
    assert report["n_rows"] == len(df) == api.n_rows
    cli_drifted = {f["feature"] for f in report["drift"]["features"] if f["drifted"]}
    assert SHIFTED in cli_drifted
    auc_cli = report["performance"]["current"]["metrics"]["roc_auc"]["value"]
    assert api.performance is not None
    assert auc_cli == pytest.approx(api.performance.current.metrics["roc_auc"].value, abs=1e-12)


def test_regression_errors_of_a_real_model_equal_sklearn(tmp_path: Path) -> None:
    data = load_diabetes(as_frame=True)
    df = _log(data.data, data.target.to_numpy(), binary=False, seed=5)
    path = tmp_path / "diabetes.parquet"
    df.to_parquet(path, index=False)
    result = modelward.check(str(path), reference_end=REFERENCE_END, segments=[])
    assert result.performance is not None
    assert result.performance.task == "regression"
    cur = _current(df)
    m = result.performance.current.metrics
    y, p = cur["label"].to_numpy(), cur["prediction"].to_numpy()
    assert m["mae"].value == pytest.approx(mean_absolute_error(y, p), rel=1e-9)
    assert m["rmse"].value == pytest.approx(np.sqrt(mean_squared_error(y, p)), rel=1e-9)
    assert m["mae"].n == len(cur)
