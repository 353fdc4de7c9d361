"""The API's routers, one module per noun."""

from __future__ import annotations

from api.routes import catalogue, diagnoses, health, models, recommendations

ROUTERS = (
    health.router,
    recommendations.router,
    catalogue.router,
    diagnoses.router,
    models.router,
)
"""Every router ``create_app`` includes (the cohort routes are not ready yet)."""

__all__ = ["ROUTERS"]
