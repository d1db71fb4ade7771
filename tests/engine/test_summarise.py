"""Every summaries table against a direct pandas computation on the raw rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelward._exceptions import ConfigError
from modelward.engine import Summaries, get_engine, log_bin_numpy
from modelward.engine.edges import sample_hash_python
from tests.engine.engine_logs import make_log, make_table

REF_END = "2026-01-04"


@pytest.fixture(scope="module")
def df(table: pa.Table) -> pd.DataFrame:
    d = table.to_pandas()
    d["bucket"] = d["timestamp"].dt.floor("D")
    d["window"] = np.where(d["timestamp"] < pd.Timestamp("2026-01-05"), "reference", "current")
    d["country"] = d["country"].fillna("__null__")
    return d


@pytest.fixture(scope="module")
def summ(table: pa.Table) -> Summaries:
    return get_engine().summarise(make_log(table), reference_end=REF_END, sample_size=7)


def _all(t: pa.Table) -> pd.DataFrame:
    d = t.to_pandas()
    return d[d["segment"] == ""]


def test_volume_matches_pandas(summ: Summaries, df: pd.DataFrame) -> None:
    v = _all(summ.table("volume")).set_index(["window", "bucket"]).sort_index()
    g = df.groupby(["window", "bucket"])
    exp = pd.DataFrame(
        {
            "n": g.size(),
            "n_labelled": g["label"].count(),
            "label_sum": g["label"].sum(),
            "prediction_sum": g["prediction"].sum(),
            "latency_n": g["latency_ms"].count(),
            "latency_max": g["latency_ms"].max(),
            "label_lag_n": g["label_timestamp"].count(),
        }
    ).sort_index()
    for c in exp:
        np.testing.assert_allclose(v[c].to_numpy(float), exp[c].to_numpy(float), err_msg=c)
    lab = df[df["label"].notna()]
    p = lab["score"].clip(1e-15, 1 - 1e-15)
    ll = -(lab["label"] * np.log(p) + (1 - lab["label"]) * np.log(1 - p))
    np.testing.assert_allclose(v["logloss_sum"].sum(), ll.sum())
    np.testing.assert_allclose(v["brier_sum"].sum(), ((lab["score"] - lab["label"]) ** 2).sum())


def test_grouping_sets_per_segment_sum_to_all(summ: Summaries) -> None:
    for name in ("volume", "numeric_bins", "categorical", "score", "latency", "feature_label"):
        d = summ.table(name).to_pandas()
        allrows = d[d["segment"] == ""]
        seg = d[d["segment"] == "country"]
        col = "n" if name == "volume" else "count"
        assert allrows[col].sum() == seg[col].sum(), name
        assert set(seg["segment_value"]) <= {"US", "DE", "FR", "__null__"}


def test_numeric_moments_and_bins(summ: Summaries, df: pd.DataFrame) -> None:
    edges = np.asarray(summ.meta.numeric_edges["x"])
    ref = df[df["window"] == "reference"]["x"].dropna()
    np.testing.assert_allclose(edges, np.unique(np.quantile(ref, np.linspace(0, 1, 21))))
    m = _all(summ.table("numeric_moments")).query("feature == 'x'").set_index(["window", "bucket"])
    g = df.groupby(["window", "bucket"])["x"]
    np.testing.assert_array_equal(m["count"].sort_index(), g.count().sort_index())
    np.testing.assert_array_equal(m["nulls"].sort_index(), g.apply(lambda s: s.isna().sum()))
    np.testing.assert_allclose(m["sum"].sort_index(), g.sum().sort_index())
    np.testing.assert_allclose(m["sum_sq"].sort_index(), g.apply(lambda s: (s**2).sum()))
    np.testing.assert_allclose(m["min"].sort_index(), g.min().sort_index())
    # bins: reference definition, written independently
    x = df["x"].dropna().to_numpy()
    m_ = len(edges) - 1
    expected = np.where(
        x < edges[0],
        0,
        np.where(x > edges[-1], m_ + 1, np.minimum(np.searchsorted(edges, x, side="right"), m_)),
    )
    d = df.loc[df["x"].notna()].assign(bin=expected)
    exp = d.groupby(["window", "bucket", "bin"]).size()
    got = (
        _all(summ.table("numeric_bins"))
        .query("feature == 'x'")
        .set_index(["window", "bucket", "bin"])["count"]
    )
    pd.testing.assert_series_equal(
        got.sort_index(),
        exp.sort_index(),
        check_names=False,
        check_dtype=False,
        check_index_type=False,
    )


def test_categorical_incl_null_and_unseen() -> None:
    t = make_table(2000, seed=3)
    colour = t["colour"].to_pylist()
    ts = t["timestamp"].to_pandas()
    colour = [
        ("mauve" if (c == "pink" and s >= pd.Timestamp("2026-01-05")) else c)
        for c, s in zip(colour, ts, strict=True)
    ]
    t = t.set_column(t.column_names.index("colour"), "colour", pa.array(colour, pa.string()))
    s = get_engine().summarise(make_log(t), reference_end=REF_END, max_categories=3)
    cats = s.meta.categories["colour"]
    assert len(cats) == 3
    d = pd.DataFrame({"c": colour, "w": np.where(ts < pd.Timestamp("2026-01-05"), "r", "c")})
    refvals = set(d.loc[d.w == "r", "c"].dropna())
    d["cat"] = [
        "__null__"
        if pd.isna(c)
        else c
        if c in cats
        else "__other__"
        if c in refvals
        else "__unseen__"
        for c in d["c"]
    ]
    exp = d.groupby(["w", "cat"]).size()
    got = _all(s.table("categorical")).query("feature == 'colour'")
    got = got.assign(w=got["window"].str[0]).groupby(["w", "category"])["count"].sum()
    pd.testing.assert_series_equal(
        got.sort_index(),
        exp.sort_index(),
        check_names=False,
        check_index_type=False,
        check_dtype=False,
    )
    un = _all(s.table("unseen"))
    assert set(un["value"]) == {"mauve"}
    assert un["count"].sum() == exp.loc[("c", "__unseen__")]


def test_score_grid_and_feature_label(summ: Summaries, df: pd.DataFrame) -> None:
    B = summ.meta.score_bins
    d = df.assign(
        sb=np.minimum(np.floor(np.round(df["score"] * B, 9)), B - 1).astype(int),
        ls=df["label"].fillna(-1).astype(int),
    )
    exp = d.groupby(["sb", "ls", "prediction"]).size()
    got = _all(summ.table("score")).groupby(["score_bin", "label", "prediction"])["count"].sum()
    np.testing.assert_array_equal(got.sort_index().to_numpy(), exp.sort_index().to_numpy())
    fl = _all(summ.table("feature_label")).query("feature == 'colour' and labelled")
    lab = d[d["label"].notna()]
    cats = summ.meta.categories["colour"]
    idx = lab["colour"].map({c: i for i, c in enumerate(cats)}).fillna(-1)
    e = (
        lab.assign(bin=idx)
        .groupby("bin")
        .agg(
            count=("label", "size"),
            label_sum=("label", "sum"),
            error_sum=("prediction", lambda p: (p != lab.loc[p.index, "label"]).sum()),
        )
    )
    g = fl.groupby("bin")[["count", "label_sum", "error_sum"]].sum()
    np.testing.assert_allclose(g.to_numpy(float), e.to_numpy(float))


def test_latency_and_label_lag_bins(summ: Summaries, df: pd.DataFrame) -> None:
    a = summ.meta.latency_accuracy
    lat = df["latency_ms"].dropna().to_numpy()
    exp = pd.Series(log_bin_numpy(lat, accuracy=a)).value_counts().sort_index()
    got = _all(summ.table("latency")).groupby("bin")["count"].sum()
    np.testing.assert_array_equal(got.index.to_numpy(), exp.index.to_numpy())
    np.testing.assert_array_equal(got.to_numpy(), exp.to_numpy())
    lab = df[df["label"].notna()]
    lag = (lab["label_timestamp"] - lab["timestamp"]).dt.total_seconds().to_numpy()
    e2 = pd.DataFrame({"label": lab["label"].to_numpy(), "bin": log_bin_numpy(lag, accuracy=a)})
    e2s = e2.groupby(["label", "bin"]).size()
    g2 = _all(summ.table("label_lag")).groupby(["label", "bin"])["count"].sum()
    np.testing.assert_array_equal(g2.to_numpy(), e2s.to_numpy())


@pytest.mark.parametrize("bucket", ["hour", "day", "week"])
def test_buckets(table: pa.Table, bucket: str) -> None:
    s = get_engine().summarise(make_log(table), bucket=bucket, sample_size=0)
    v = _all(s.table("volume"))
    freq = {"hour": "h", "day": "D", "week": "W-SUN"}[bucket]
    ts = table["timestamp"].to_pandas()
    starts = ts.dt.to_period(freq).dt.start_time
    exp = starts.value_counts().sort_index()
    np.testing.assert_array_equal(v.sort_values("bucket")["n"].to_numpy(), exp.to_numpy())
    assert set(v["window"]) == {"current"}


def test_separate_reference_log() -> None:
    ref, cur = make_table(800, seed=5), make_table(900, seed=6, start="2026-02-01")
    log, rlog = make_log(cur), make_log(ref)
    s = get_engine().summarise(log, reference=rlog)
    v = _all(s.table("volume")).groupby("window")["n"].sum()
    assert v["reference"] == 800
    assert v["current"] == 900
    assert s.meta.reference_source == rlog.source
    x = ref["x"].to_numpy(zero_copy_only=False)
    x = x[np.isfinite(x)]
    np.testing.assert_allclose(s.meta.numeric_edges["x"], np.quantile(x, np.linspace(0, 1, 21)))


def test_bad_parameters() -> None:
    log = make_log(make_table(10, seed=0))
    with pytest.raises(ConfigError, match="bucket"):
        get_engine().summarise(log, bucket="month")
    with pytest.raises(ConfigError, match="numeric_bins"):
        get_engine().summarise(log, numeric_bins=0)
    with pytest.raises(ConfigError, match="Unknown engine"):
        get_engine("polars")


def _frames(s: Summaries) -> dict[str, pd.DataFrame]:
    out = {}
    for n, t in s.tables.items():
        d = t.to_pandas()
        keys = [
            c
            for c in d.columns
            if d[c].dtype == object
            or c in ("bucket", "bin", "score_bin", "label", "prediction", "labelled")
        ]
        out[n] = d.sort_values(keys).reset_index(drop=True) if n != "sample" else d
    return out


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), frac=st.floats(0.05, 0.95))
def test_merge_of_halves_equals_whole(seed: int, frac: float) -> None:
    t = make_table(600, seed=seed, days=4)
    rng = np.random.default_rng(seed)
    mask = rng.random(t.num_rows) < frac
    eng = get_engine()
    whole = eng.summarise(make_log(t), reference_end="2026-01-02", sample_size=20)
    kw = {"reference_end": "2026-01-02", "sample_size": 20, "bins": whole.meta.bins}
    a = eng.summarise(make_log(t.filter(pa.array(mask))), **kw)  # type: ignore[arg-type]
    b = eng.summarise(make_log(t.filter(pa.array(~mask))), **kw)  # type: ignore[arg-type]
    merged = a.merge(b)
    fw, fm = _frames(whole), _frames(merged)
    assert merged.meta.n_rows == whole.meta.n_rows
    for n in fw:
        if n == "sample":
            continue
        pd.testing.assert_frame_equal(fw[n], fm[n], check_dtype=False, rtol=1e-9)
    # the sample merge is the bottom-k of the union
    sw = whole.table("sample").to_pandas().sort_values(["window", "bucket", "_hash"])
    sm = merged.table("sample").to_pandas().sort_values(["window", "bucket", "_hash"])
    assert sw["prediction_id"].tolist() == sm["prediction_id"].tolist()


def test_sample_is_bottom_k_by_hash(summ: Summaries, table: pa.Table) -> None:
    # reference: the portable hash computed by hashlib, bottom 7 per (window, day) in pandas
    s = summ.table("sample").to_pandas()
    t = table.select(["prediction_id", "timestamp"]).to_pandas()
    t["h"] = [sample_hash_python(v) for v in t["prediction_id"]]
    t["w"] = np.where(t["timestamp"] < pd.Timestamp("2026-01-05"), "reference", "current")
    t["b"] = t["timestamp"].dt.floor("D")
    exp = t.sort_values("h").groupby(["w", "b"]).head(7)
    assert sorted(s["prediction_id"]) == sorted(exp["prediction_id"])
    assert (s.groupby(["window", "bucket"]).size() == 7).all()
    assert s["_hash"].dtype == np.uint64
    assert [int(h) for h in s["_hash"]] == [sample_hash_python(v) for v in s["prediction_id"]]


def test_filter_and_roundtrip(summ: Summaries) -> None:
    f = summ.filter(window="current", segment=("country", "US"))
    d = f.table("volume").to_pandas()
    assert set(d["window"]) == {"current"}
    assert set(d["segment_value"]) == {"US"}
    meta, tables = summ.to_arrow_dict()
    back = Summaries.from_arrow_dict(meta, tables)
    assert back.meta == summ.meta
    assert summ.empty_like().table("volume").num_rows == 0
    with pytest.raises(ConfigError):
        summ.table("nope")
