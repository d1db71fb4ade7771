"""Pure numeric kernels on binned counts: drift, quantiles, classification, intervals.

Every function here is a plain function on numpy arrays of counts (the
summaries of ``docs/summaries.md``), checked against exact scipy and
scikit-learn references in ``tests/stats``. Degenerate input warns with
:class:`modelward.ModelwardWarning` and gives nan.

Examples
--------
>>> round(psi([10, 20, 30], [30, 20, 10]), 3)
0.732
"""

from __future__ import annotations

from modelward.stats.changepoint import Onset, cusum_onset, pelt_mean, robust_sigma
from modelward.stats.classification import (
    CalibrationResult,
    Confusion,
    ap_binned_error_bound,
    auc_binned_error_bound,
    average_precision_binned,
    calibration_binned,
    confusion_at_threshold,
    ece,
    metrics_from_confusion,
    pr_curve_binned,
    precision_recall_f1,
    roc_auc_binned,
    roc_curve_binned,
)
from modelward.stats.drift import (
    ChiSquareResult,
    KSResult,
    chi_square,
    cramers_v,
    jensen_shannon,
    ks_binned,
    ks_pvalue,
    psi,
    wasserstein_binned,
    wasserstein_normalised,
)
from modelward.stats.intervals import (
    BootstrapResult,
    auc_interval,
    bootstrap_counts,
    mean_interval,
    wilson_interval,
)
from modelward.stats.multitest import benjamini_hochberg
from modelward.stats.quantiles import (
    NONPOSITIVE_BIN,
    log_bin_index,
    log_bin_value,
    quantiles_from_hist,
    quantiles_from_log_bins,
)

__all__ = [
    "NONPOSITIVE_BIN",
    "BootstrapResult",
    "CalibrationResult",
    "ChiSquareResult",
    "Confusion",
    "KSResult",
    "Onset",
    "ap_binned_error_bound",
    "auc_binned_error_bound",
    "auc_interval",
    "average_precision_binned",
    "benjamini_hochberg",
    "bootstrap_counts",
    "calibration_binned",
    "chi_square",
    "confusion_at_threshold",
    "cramers_v",
    "cusum_onset",
    "ece",
    "jensen_shannon",
    "ks_binned",
    "ks_pvalue",
    "log_bin_index",
    "log_bin_value",
    "mean_interval",
    "metrics_from_confusion",
    "pelt_mean",
    "pr_curve_binned",
    "precision_recall_f1",
    "psi",
    "quantiles_from_hist",
    "quantiles_from_log_bins",
    "robust_sigma",
    "roc_auc_binned",
    "roc_curve_binned",
    "wasserstein_binned",
    "wasserstein_normalised",
    "wilson_interval",
]
