"""The API's routers, one module per noun."""

from __future__ import annotations

from api.routes import cases, catalogue, cohorts, diagnoses, health, models, recommendations

ROUTERS = (
    health.router,
    recommendations.router,
    catalogue.router,
    diagnoses.router,
    cases.router,
    models.router,
    cohorts.router,
)
"""Every JSON router ``create_app`` includes."""

__all__ = ["ROUTERS"]
