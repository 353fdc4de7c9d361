"""Catalogue lists for forms and clients: project types, trades, sectors, places."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query

from api.deps import ReferenceDep
from api.errors import error_responses
from api.schemas import PlaceOut, ProjectTypeOut, RegionOut, SectorOut, TradeOut
from api.security import Counsellor
from matcher.errors import NotFoundError
from matcher.reference import Reference

router = APIRouter(prefix="/v1", tags=["catalogue"])
AUTH_ERRORS = error_responses(401, 403)
PLACE_ERRORS = error_responses(401, 403, 404, 422)
RegionId = Annotated[str, Path(min_length=1, max_length=16, examples=["MA-06"])]


def _names(row: Any) -> dict[str, str]:
    return {"fr": str(row.name_fr), "ar": str(row.name_ar), "en": str(row.name_en)}


@router.get("/project-types", response_model=list[ProjectTypeOut], responses=AUTH_ERRORS)
def list_project_types(principal: Counsellor, reference: ReferenceDep) -> list[dict[str, Any]]:
    """List the catalogue's project types with cost, milieu and required trades."""
    return [
        {
            "project_type_id": str(row.project_type_id),
            "names": _names(row),
            "sector_id": str(row.sector_id),
            "required_trades": list(row.required_trades),
            "typical_cost_mad": float(row.typical_cost_mad),
            "milieu": str(row.milieu),
            "physical_demand": str(row.physical_demand),
            "home_based": bool(row.home_based),
            "min_education": str(row.min_education),
        }
        for row in reference.project_types.itertuples(index=False)
    ]


@router.get("/trades", response_model=list[TradeOut], responses=AUTH_ERRORS)
def list_trades(principal: Counsellor, reference: ReferenceDep) -> list[dict[str, Any]]:
    """List the trades (vocational skills) with their sector."""
    return [
        {"trade_id": str(row.trade_id), "names": _names(row), "sector_id": str(row.sector_id)}
        for row in reference.trades.itertuples(index=False)
    ]


@router.get("/sectors", response_model=list[SectorOut], responses=AUTH_ERRORS)
def list_sectors(principal: Counsellor, reference: ReferenceDep) -> list[dict[str, Any]]:
    """List the six sectors."""
    return [
        {"sector_id": str(row.sector_id), "names": _names(row)}
        for row in reference.sectors.itertuples(index=False)
    ]


@router.get("/regions", response_model=list[RegionOut], responses=AUTH_ERRORS)
def list_regions(principal: Counsellor, reference: ReferenceDep) -> list[dict[str, Any]]:
    """List the twelve regions with their published indicators."""
    return [
        {
            "region_id": str(row.region_id),
            "names": _names(row),
            "population": float(row.population),
            "urban_share": float(row.urban_share),
            "unemployment_rate": float(row.unemployment_rate),
            "poverty_rate": float(row.poverty_rate),
        }
        for row in reference.regions.itertuples(index=False)
    ]


def _places(reference: Reference, region_id: str, level: str) -> pd.DataFrame:
    if region_id not in reference.regions.index:
        raise NotFoundError(f"unknown region {region_id!r}", details={"region_id": region_id})
    local = reference.local_profiles
    if local.empty or "level" not in local.columns:
        return local.iloc[0:0]
    return local.loc[(local["level"] == level) & (local["region_id"] == region_id)]


def _place_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [
        {
            "code": str(row.code),
            "province_code": str(row.province_code),
            "name_fr": str(row.name_fr),
            "name_ar": str(row.name_ar),
        }
        for row in frame.itertuples(index=False)
    ]


@router.get("/regions/{region_id}/provinces", response_model=list[PlaceOut], responses=PLACE_ERRORS)
def list_provinces(
    region_id: RegionId, principal: Counsellor, reference: ReferenceDep
) -> list[dict[str, str]]:
    """List a region's provinces (HCP codes), empty when the catalogue has no local data."""
    return _place_rows(_places(reference, region_id, "province"))


@router.get("/regions/{region_id}/communes", response_model=list[PlaceOut], responses=PLACE_ERRORS)
def list_communes(
    region_id: RegionId,
    principal: Counsellor,
    reference: ReferenceDep,
    province: Annotated[
        str | None, Query(max_length=32, description="Only this province's communes")
    ] = None,
) -> list[dict[str, str]]:
    """List a region's communes (HCP code, French and Arabic names), optionally one province."""
    communes = _places(reference, region_id, "commune")
    if province:
        provinces = _places(reference, region_id, "province")
        if province not in set(provinces["code"].astype(str)):
            raise NotFoundError(
                f"unknown province {province!r} in region {region_id}",
                details={"region_id": region_id, "province": province},
            )
        communes = communes.loc[communes["province_code"] == province]
    return _place_rows(communes)
