"""The model card: report.md and its plots, from the manifest and metrics dicts."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from training.report import write_model_card

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SECTIONS = (
    "# Model card",
    "## Model details",
    "## Intended use",
    "## Out-of-scope uses",
    "## Factors",
    "## Metrics on held-out history",
    "## Disaggregated results",
    "## Ranking quality against ground truth",
    "## Comparison with the active version",
    "## Feature importance",
    "## Ethical considerations",
    "## Caveats and recommendations",
)


def _group(group: str, n: int, auc: float, ci: tuple[float, float]) -> dict[str, Any]:
    return {
        "group": group,
        "n": n,
        "observed_rate": 0.4213,
        "mean_score": 0.4187,
        "roc_auc": auc,
        "roc_auc_ci": ci,
        "brier": 0.2034,
        "brier_ci": (0.1911, 0.2157),
    }


def _ranking(ndcg: float, top1: float) -> dict[str, float]:
    return {
        "ndcg_at_5": ndcg,
        "top1_true_success": top1,
        "top1_best_possible": 0.71234,
        "top1_ratio": round(top1 / 0.71234, 5),
        "ece_top5_vs_truth": 0.04321,
        "mae_top5_vs_truth": 0.06543,
    }


@pytest.fixture
def manifest() -> dict[str, Any]:
    return {
        "version": "20260301T101500Z-a1b2c3",
        "created_at": "2026-03-01T10:15:00+00:00",
        "framework_versions": {"scikit-learn": "1.9.1", "numpy": "2.4.6", "pandas": "3.1.1"},
        "reference_fingerprint": "0123456789abcdefdeadbeef",
        "history_fingerprint": "fedcba9876543210cafebabe",
        "history_path": "worlds/w1/history.csv",
        "n_rows": 4812,
        "n_rejected": 17,
        "n_train": 3850,
        "n_test": 962,
        "split_cut_date": "2024-06-30",
        "target": "active_12m",
        "candidate": "hgb",
    }


@pytest.fixture
def metrics() -> dict[str, Any]:
    features = [
        {"feature": f"feature_{i:02d}", "importance": round(0.05 - i * 0.003, 5), "std": 0.002}
        for i in range(18)
    ]
    return {
        "candidate": "hgb",
        "cv_log_loss": {"logistic": 0.61234, "hgb": 0.58765},
        "holdout": {
            "overall": {
                "roc_auc": 0.74321,
                "log_loss": 0.57654,
                "brier": 0.19876,
                "ece": 0.02345,
                "n": 962,
                "observed_rate": 0.41268,
                "mean_score": 0.40987,
            },
            "calibration_curve": [
                {"bin": b, "n": 40 + 10 * b, "mean_score": 0.1 * b + 0.05, "mean_truth": 0.1 * b}
                for b in range(1, 9)
            ],
            "by_group": {
                "sex": [
                    _group("F", 212, 0.7123, (0.6512, 0.7734)),
                    _group("M", 750, 0.7456, (0.7101, 0.7809)),
                ],
                "age_band": [
                    _group("18-29", 410, 0.7311, (0.6822, 0.7790)),
                    _group("30-44", 480, 0.7522, (0.7080, 0.7951)),
                    _group("45+", 72, 0.6811, (0.5503, 0.8012)),
                ],
                "milieu": [
                    _group("rural", 300, 0.7201, (0.6600, 0.7788)),
                    _group("urban", 662, 0.7499, (0.7100, 0.7880)),
                ],
            },
        },
        "feature_importance": features,
        "world": {
            "n_beneficiaries": 500,
            "n_pairs": 6210,
            "model": _ranking(0.86543, 0.61234),
            "baseline_popularity": _ranking(0.71111, 0.50123),
            "baseline_training_rule": _ranking(0.74444, 0.53456),
            "oracle": _ranking(1.0, 0.71234),
            "by_group": {
                "sex": [
                    {"group": "F", **_ranking(0.85432, 0.6)},
                    {"group": "M", **_ranking(0.87, 0.62)},
                ]
            },
            "sector_mix_top3": {
                "model": {
                    "F": {
                        "catering": 0.4123,
                        "crafts": 0.3012,
                        "services": 0.2,
                        "commerce": 0.0865,
                    },
                    "M": {"catering": 0.3, "crafts": 0.1, "services": 0.35, "commerce": 0.25},
                },
                "truth": {
                    "F": {"catering": 0.4400, "crafts": 0.2800, "services": 0.19, "commerce": 0.09},
                    "M": {"catering": 0.31, "crafts": 0.09, "services": 0.36, "commerce": 0.24},
                },
            },
            "women_sector_mix_max_gap_points": 2.77,
            "cohort": "worlds/w1/cohort.csv",
        },
        "comparison": {
            "active_version": "20260101T090000Z-0f0f0f",
            "candidate": {"roc_auc": 0.74321, "log_loss": 0.57654, "brier": 0.19876, "n": 962},
            "active": {"roc_auc": 0.70111, "log_loss": 0.60222, "brier": 0.21033, "n": 962},
        },
    }


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), path
    assert len(data) > 5_000, path


def test_full_card_writes_report_and_plots(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    report = write_model_card(tmp_path, manifest=manifest, metrics=metrics)

    assert report == tmp_path / "report.md"
    for name in ("calibration.png", "groups.png", "sectors.png", "importance.png"):
        _assert_png(tmp_path / name)
    text = report.read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert heading in text, heading
    for name in ("calibration.png", "groups.png", "sectors.png", "importance.png"):
        assert f"]({name})" in text


def test_card_shows_the_numbers_it_was_given(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    text = write_model_card(tmp_path, manifest=manifest, metrics=metrics).read_text("utf-8")

    # model details
    assert "20260301T101500Z-a1b2c3" in text
    assert "2026-03-01T10:15:00+00:00" in text
    assert "| logistic | 0.612 |" in text
    assert "| hgb | 0.588 | yes |" in text
    assert "4,812" in text
    assert "3,850" in text
    assert "| 962 |" in text
    assert "| 17 |" in text
    assert "2024-06-30" in text
    assert "`0123456789ab`" in text
    assert "0123456789abc" not in text
    assert "`fedcba987654`" in text
    assert "| scikit-learn | 1.9.1 |" in text
    # held-out metrics
    assert "| ROC AUC | 0.743 |" in text
    assert "| Log loss | 0.577 |" in text
    assert "| Brier score | 0.199 |" in text
    assert "| Expected calibration error | 0.023 |" in text
    assert "41.3 %" in text
    assert "41.0 %" in text
    # disaggregated, with intervals
    assert (
        "| Women | 212 | 42.1 % | 41.9 % | 0.712 | [0.651, 0.773] | 0.203 | [0.191, 0.216] |"
        in text
    )
    assert "| 45+ | 72 |" in text
    assert "[0.550, 0.801]" in text
    assert "age band 45+ (n = 72)" in text
    # ranking against ground truth
    assert "| Model | 0.865 | 0.612 | 0.712 |" in text
    assert "| Baseline: popularity of the project type | 0.711 | 0.501 |" in text
    assert "| Oracle: true probabilities | 1.000 | 0.712 |" in text
    assert "| Sex | Women | 0.854 |" in text
    assert "| Women | catering | 41.2 % | 44.0 % | -2.8 |" in text
    assert "within 5 points of the truth's" in text
    assert "largest gap 2.8 points" in text
    # comparison
    assert "20260101T090000Z-0f0f0f" in text
    assert "| ROC AUC | 0.743 | 0.701 | +0.042 |" in text
    # feature importance: top 15 only, in order
    assert "| 1 | feature_00 | 0.050 | 0.002 |" in text
    assert "| 15 | feature_14 |" in text
    assert "feature_15" not in text
    # caveats
    assert "worlds/w1/history.csv" in text


def test_women_gap_above_limit_is_flagged(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    metrics["world"]["women_sector_mix_max_gap_points"] = 12.5

    text = write_model_card(tmp_path, manifest=manifest, metrics=metrics).read_text("utf-8")

    assert "NOT within 5 points" in text
    assert "largest gap 12.5 points" in text


def test_card_without_world_or_comparison(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    del metrics["world"], metrics["comparison"]

    text = write_model_card(tmp_path, manifest=manifest, metrics=metrics).read_text("utf-8")

    for name in ("calibration.png", "groups.png", "importance.png"):
        _assert_png(tmp_path / name)
    assert not (tmp_path / "sectors.png").exists()
    for heading in SECTIONS:
        assert heading in text, heading
    assert "no cohort with ground truth" in text
    assert "no active version at training time" in text
    assert "| ROC AUC | 0.743 |" in text


def test_skipped_comparison_shows_the_reason(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    metrics["comparison"] = {"skipped": "the active version needs another catalogue"}

    text = write_model_card(tmp_path, manifest=manifest, metrics=metrics).read_text("utf-8")

    assert "Comparison skipped: the active version needs another catalogue" in text


def test_missing_keys_degrade_to_not_available(tmp_path: Path) -> None:
    folder = tmp_path / "20260301T101500Z-a1b2c3"

    report = write_model_card(folder, manifest={}, metrics={})

    text = report.read_text("utf-8")
    for heading in SECTIONS:
        assert heading in text, heading
    assert "# Model card — matcher 20260301T101500Z-a1b2c3" in text
    assert "not available" in text
    assert list(folder.glob("*.png")) == []


def test_nan_and_json_round_trip(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    """As read back from metrics.json: tuples become lists; a one-class group has nan."""
    metrics = json.loads(json.dumps(metrics))
    metrics["holdout"]["by_group"]["age_band"][2].update(
        roc_auc=math.nan, roc_auc_ci=[math.nan, math.nan]
    )

    text = write_model_card(tmp_path, manifest=manifest, metrics=metrics).read_text("utf-8")

    assert "| 45+ | 72 | 42.1 % | 41.9 % | n/a | n/a |" in text
    assert "[0.651, 0.773]" in text
    _assert_png(tmp_path / "groups.png")


def test_registry_manifest_fills_missing_entries(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    """train.py passes its own manifest; the registry's copy in the folder adds the version."""
    stored = copy.deepcopy(manifest)
    for key in ("version", "created_at", "framework_versions"):
        del manifest[key]
    folder = tmp_path / ".staging-xyz"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(stored), "utf-8")

    text = write_model_card(folder, manifest=manifest, metrics=metrics).read_text("utf-8")

    assert "# Model card — matcher 20260301T101500Z-a1b2c3" in text
    assert ".staging-xyz" not in text
    assert "| scikit-learn | 1.9.1 |" in text


def test_plots_accept_labels_the_font_cannot_draw(
    tmp_path: Path, manifest: dict[str, Any], metrics: dict[str, Any]
) -> None:
    metrics["feature_importance"][0]["feature"] = "خياطة_" + "x" * 80

    write_model_card(tmp_path, manifest=manifest, metrics=metrics)

    _assert_png(tmp_path / "importance.png")


def test_package_exports_only_write_model_card() -> None:
    import training.report
    from training.report import card

    assert training.report.__all__ == ["write_model_card"]
    assert training.report.write_model_card is card.write_model_card
