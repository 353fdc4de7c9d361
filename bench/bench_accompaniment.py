"""How long the accompaniment reads take for one centre with many funded projects.

Builds a SQLite database in a temporary folder with ``--projects`` funded projects
in one centre (diagnosis, decision, start record, 6- and 12-month follow-ups) and
times, each ``--repeat`` times (best and median): the history export with its
rejects, the follow-ups due, a pseudonym search, one timeline, and one checked
outcome write. Prints one JSON object.

    python bench/bench_accompaniment.py --projects 2000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from matcher.domain import Profile
from matcher.store import (
    export_history_with_rejects,
    make_engine,
    make_session_factory,
    record_decision,
    record_outcome,
    save_diagnosis,
    session_scope,
    upgrade_database,
)
from matcher.store.cases import case_timeline, search_cases
from matcher.store.follow_ups import follow_ups_due

CENTRE = "car_casablanca"
TODAY = date(2026, 11, 30)
SHOWN = {
    "recommendations": [{"rank": 1, "project_type_id": "home_pastry", "score": 0.7}],
    "excluded": [],
}


def _profile(i: int) -> Profile:
    return Profile.model_validate(
        {
            "beneficiary_id": f"B-BENCH-{i:06d}",
            "sex": "F" if i % 2 else "M",
            "age": 20 + i % 40,
            "region_id": "MA-06",
            "milieu": "urban",
            "education_level": "primary",
            "trainings": ["bakery_pastry"],
            "experience": [],
            "budget_mad": 30000,
            "preferred_sectors": ["catering"],
            "health_constraint": "none",
        }
    )


def _fill(factory: Any, n: int) -> str:
    last = ""
    with session_scope(factory) as session:
        for i in range(n):
            last = save_diagnosis(
                session=session,
                profile=_profile(i),
                model_version="v",
                top_k=1,
                response=SHOWN,
                actor="bench",
                centre_id=CENTRE,
                now=datetime(2024, 1, 2, tzinfo=UTC),
            )
            record_decision(
                session=session,
                diagnosis_id=last,
                choice="recommended",
                project_type_id="home_pastry",
                reason="bench",
                actor="bench",
                now=datetime(2024, 1, 5, tzinfo=UTC),
            )
            common = {
                "session": session,
                "diagnosis_id": last,
                "project_type_id": "home_pastry",
                "funded_mad": 18000,
                "start_date": date(2024, 2, 1),
                "actor": "bench",
                "active_24m": None,
                "monthly_income_mad": None,
                "today": TODAY,
            }
            record_outcome(**common, active_6m=None, active_12m=None, horizon_months=0)
            record_outcome(**common, active_6m=True, active_12m=None)
            record_outcome(**common, active_6m=True, active_12m=i % 3 != 0)
    return last


def _time(func: Callable[[], Any], repeat: int) -> dict[str, float]:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        seconds.append(time.perf_counter() - start)
    return {"best_ms": min(seconds) * 1000, "median_ms": statistics.median(seconds) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        start = time.perf_counter()
        last = _fill(factory, args.projects)
        fill_s = time.perf_counter() - start

        def read(func: Callable[..., Any], **kwargs: Any) -> Callable[[], Any]:
            def run() -> Any:
                with session_scope(factory) as session:
                    return func(session=session, **kwargs)

            return run

        results: dict[str, Any] = {
            "projects": args.projects,
            "fill_s (3 checked outcomes + 1 decision per project)": round(fill_s, 2),
            "export_history_with_rejects": _time(read(export_history_with_rejects), args.repeat),
            "follow_ups_due": _time(
                read(follow_ups_due, scope=CENTRE, today=TODAY, horizons=[3, 6, 12, 24]),
                args.repeat,
            ),
            "search_cases": _time(
                read(search_cases, scope=CENTRE, query="B-BENCH-0001"), args.repeat
            ),
            "case_timeline": _time(
                read(
                    case_timeline,
                    scope=CENTRE,
                    beneficiary_id=_profile(args.projects - 1).beneficiary_id,
                ),
                args.repeat,
            ),
        }
        with session_scope(factory) as session:
            export = export_history_with_rejects(session=session)
        results["rows"] = len(export.rows)
        results["rejects"] = export.reject_counts()
        results["last_diagnosis"] = last
        engine.dispose()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
