"""Helpers: a random prediction log built directly as a PredictionLog over an Arrow table."""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pyarrow as pa

from modelward.io.columns import ColumnRoles
from modelward.io.log import Feature, PredictionLog

_counter = itertools.count()


def make_table(n: int, *, seed: int, days: int = 10, start: str = "2026-01-01") -> pa.Table:
    """Random log rows: 2 numeric, 1 categorical, 1 segment, binary task."""
    rng = np.random.default_rng(seed)
    t0 = np.datetime64(f"{start}T00:00:00", "s")
    ts = t0 + rng.integers(0, days * 86400, n).astype("timedelta64[s]")
    score = rng.random(n)
    pred = (score > 0.5).astype(np.int64)
    label = (rng.random(n) < score).astype(np.float64)
    unl = rng.random(n) < 0.3
    lag = rng.exponential(7200, n).astype("timedelta64[s]")
    x = rng.normal(0, 1, n)
    x_null = rng.random(n) < 0.05
    x[rng.random(n) < 0.02] = np.nan
    z = rng.integers(0, 5, n).astype(np.float64)
    colour = np.array(["red", "green", "blue", "cyan", "pink", "teal"])[
        np.minimum(rng.geometric(0.4, n) - 1, 5)
    ].astype(object)
    colour[rng.random(n) < 0.05] = None
    lat = rng.lognormal(3, 1, n)
    lat[rng.random(n) < 0.01] = 0.0
    lat_null = rng.random(n) < 0.03
    country = np.array(["US", "DE", "FR"])[rng.integers(0, 3, n)].astype(object)
    country[rng.random(n) < 0.02] = None
    ids = np.array([f"p{seed}_{i}" for i in range(n)])
    return pa.table(
        {
            "prediction_id": pa.array(ids),
            "timestamp": pa.array(ts.astype("datetime64[us]")),
            "score": pa.array(score),
            "prediction": pa.array(pred),
            "label": pa.array(label, mask=unl).cast(pa.int64()),
            "label_timestamp": pa.array((ts + lag).astype("datetime64[us]"), mask=unl),
            "latency_ms": pa.array(lat, mask=lat_null),
            "x": pa.array(x, mask=x_null),
            "z": pa.array(z),
            "colour": pa.array(colour.tolist(), pa.string()),
            "country": pa.array(country.tolist(), pa.string()),
        }
    )


def make_log(table: pa.Table, con: duckdb.DuckDBPyConnection | None = None) -> PredictionLog:
    """A PredictionLog over ``table`` registered in a DuckDB connection."""
    con = con or duckdb.connect()
    name = f"log_{next(_counter)}"
    con.register(name + "_arrow", table)
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_arrow")
    schema = {r[0]: r[1] for r in con.execute(f"DESCRIBE {name}").fetchall()}
    return PredictionLog(
        con=con,
        view=name,
        source=f"<{name}>",
        roles=ColumnRoles().resolve(table.column_names),
        features=(
            Feature("x", "numeric", "DOUBLE"),
            Feature("z", "numeric", "DOUBLE"),
            Feature("colour", "categorical", "VARCHAR"),
            Feature("country", "categorical", "VARCHAR"),
        ),
        segments=("country",),
        task="binary",
        n_rows=table.num_rows,
        schema=schema,
    )
