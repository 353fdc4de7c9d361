"""``POST /v1/recommendations``: rank eligible project types for one person."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import AuditContext, ServingDep
from api.errors import error_responses
from api.schemas import RecommendationRequest, RecommendationResponse
from api.security import Counsellor
from api.state import ModelHolder
from matcher.domain import Profile, RecommendationResult
from matcher.errors import MatcherError
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from matcher.service import recommend
from matcher.store import profile_hash

router = APIRouter(prefix="/v1", tags=["recommendations"])


def run_recommendation(
    body: RecommendationRequest,
    *,
    reference: Reference,
    scorer: Scorer,
    default_top_k: int,
    audit: AuditContext,
    models: ModelHolder,
    livelihood_mad: float,
) -> tuple[Profile, RecommendationResult]:
    """Validate the profile against the catalogue, rank, and note the audit fields.

    Parameters
    ----------
    body : RecommendationRequest
    reference : Reference
    scorer : Scorer
        The model taken once for this request.
    default_top_k : int
        Used when the body leaves ``top_k`` out.
    audit : AuditContext
        Receives the model version and the profile's sha256.
    models : ModelHolder
        Told when scoring fails (``/readyz`` then says the model is not ready)
        and when it succeeds again.
    livelihood_mad : float
        The livelihood threshold (``MATCHER_LIVELIHOOD_MAD``).

    Returns
    -------
    (profile, result) : tuple
        The domain profile and the result.

    Raises
    ------
    ModelServingError
        The model raised something other than a ``MatcherError`` (503).
    """
    profile = body.profile.to_domain()
    audit.input_hash = profile_hash(profile)
    audit.model_version = scorer.version
    top_k = body.top_k if body.top_k is not None else default_top_k
    try:
        result = recommend(
            profile,
            reference=reference,
            scorer=scorer,
            top_k=top_k,
            objective=body.objective,
            livelihood_mad=livelihood_mad,
        )
    except MatcherError:
        raise
    except Exception as exc:  # the model itself failed: report it, answer 503
        raise models.serving_failed(scorer, exc) from exc
    models.serving_succeeded(scorer)
    return profile, result


@router.post(
    "/recommendations",
    response_model=RecommendationResponse,
    responses=error_responses(400, 401, 403, 422, 503),
)
def create_recommendation(
    body: RecommendationRequest, principal: Counsellor, serving: ServingDep
) -> Response:
    """Rank the eligible project types for one person, with reasons and exclusions."""
    # A plain ``def``: FastAPI runs it in a worker thread, which leaves the event
    # loop free to read and answer other connections. Run on the loop instead, a
    # burst of 32 clients got the same throughput but a p99 of 2.9 s, not 0.6 s.
    _, result = run_recommendation(
        body,
        reference=serving.reference,
        scorer=serving.scorer,
        default_top_k=serving.settings.default_top_k,
        audit=serving.audit,
        models=serving.models,
        livelihood_mad=serving.settings.livelihood_mad,
    )
    # Validated by the response model once, straight from the result objects,
    # and written by pydantic-core: a third of the cost of FastAPI's generic path.
    answer = RecommendationResponse.model_validate(result, from_attributes=True)
    return Response(answer.model_dump_json(), media_type="application/json")
