"""The errors matcher raises on purpose, each with a stable code and HTTP status.

::

    MatcherError
    ├── InvalidProfileError        invalid_profile          422
    ├── DataSchemaError            data_schema              422
    ├── ReferenceDataError         reference_invalid        500
    ├── UnknownProjectTypeError    project_type_not_found   404
    ├── UnknownModelVersionError   model_version_not_found  404
    ├── NoActiveModelError         no_active_model          503
    ├── CatalogueMismatchError     catalogue_mismatch       503
    ├── IncompatibleModelError     model_incompatible       503
    │   └── ModelIntegrityError    model_integrity          422
    ├── SmokeTestError             model_smoke_test_failed  422
    ├── NothingToRollBackError     nothing_to_roll_back     409
    ├── ModelServingError          model_failed             503
    ├── PromotionRefusedError      promotion_refused        409
    ├── TrainingDataError          training_data            422
    ├── NotFoundError              not_found                404
    ├── DecisionRuleError          invalid_decision         422
    │   ├── NotRecommendedError    not_recommended          422
    │   └── WasRecommendedError    was_recommended          422
    ├── DecisionConflictError      decision_conflict        409
    ├── OutcomeRuleError           invalid_outcome          422
    └── CentreRequiredError        centre_required          403

The API maps every one of them through a single handler; the CLI turns them into
exit code 2 with the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus


class MatcherError(Exception):
    """Base of every error the matcher raises on purpose.

    Parameters
    ----------
    message : str
        A sentence for the person who reads it (counsellor, analyst, operator).
    details : dict, optional
        Structured extras, e.g. ``{"field": "profile.region_id"}``.
    """

    code: str = "matcher_error"
    http_status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, *, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details or {})


class InvalidProfileError(MatcherError):
    """A beneficiary profile breaks a contract rule (section 2)."""

    code = "invalid_profile"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class DataSchemaError(MatcherError):
    """A file cannot be read, or lacks a required column."""

    code = "data_schema"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class ReferenceDataError(MatcherError):
    """The reference catalogue is inconsistent or unreadable."""

    code = "reference_invalid"
    http_status = HTTPStatus.INTERNAL_SERVER_ERROR


class UnknownProjectTypeError(MatcherError):
    """A request names a project type that is not in the catalogue."""

    code = "project_type_not_found"
    http_status = HTTPStatus.NOT_FOUND


class UnknownModelVersionError(MatcherError):
    """A model version is not in the registry."""

    code = "model_version_not_found"
    http_status = HTTPStatus.NOT_FOUND


class NoActiveModelError(MatcherError):
    """The registry is empty or has no active version."""

    code = "no_active_model"
    http_status = HTTPStatus.SERVICE_UNAVAILABLE


class CatalogueMismatchError(MatcherError):
    """The model was trained on another reference catalogue."""

    code = "catalogue_mismatch"
    http_status = HTTPStatus.SERVICE_UNAVAILABLE


class IncompatibleModelError(MatcherError):
    """The artefact was built by other library versions or is corrupt."""

    code = "model_incompatible"
    http_status = HTTPStatus.SERVICE_UNAVAILABLE


class ModelIntegrityError(IncompatibleModelError):
    """The artefact is altered, unreadable or not the fitted Pipeline matcher trains."""

    code = "model_integrity"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class SmokeTestError(MatcherError):
    """A version loads but does not score its recorded sample as it did at training."""

    code = "model_smoke_test_failed"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class NothingToRollBackError(MatcherError):
    """A rollback was asked for but no earlier version was ever active."""

    code = "nothing_to_roll_back"
    http_status = HTTPStatus.CONFLICT


class ModelServingError(MatcherError):
    """The serving model failed while scoring a request (it is reported not ready)."""

    code = "model_failed"
    http_status = HTTPStatus.SERVICE_UNAVAILABLE


class PromotionRefusedError(MatcherError):
    """The promotion gate refused to activate a clearly worse version."""

    code = "promotion_refused"
    http_status = HTTPStatus.CONFLICT


class TrainingDataError(MatcherError):
    """A history file cannot support training (too few rows, one class only)."""

    code = "training_data"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class ObjectiveUnavailableError(MatcherError):
    """A ranking objective the model version cannot serve (livelihood without income)."""

    code = "objective_unavailable"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class NotFoundError(MatcherError):
    """A stored record (diagnosis, job) does not exist."""

    code = "not_found"
    http_status = HTTPStatus.NOT_FOUND


class DecisionRuleError(MatcherError):
    """A counsellor decision breaks a recording rule (e.g. no reason given)."""

    code = "invalid_decision"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class NotRecommendedError(DecisionRuleError):
    """``recommended`` names a type that was not among the recommendations shown."""

    code = "not_recommended"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class WasRecommendedError(DecisionRuleError):
    """``other`` names a type that was among the recommendations shown."""

    code = "was_recommended"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class DecisionConflictError(MatcherError):
    """A change of decision without the current ``ETag`` (missing or stale ``If-Match``)."""

    code = "decision_conflict"
    http_status = HTTPStatus.CONFLICT


class OutcomeRuleError(MatcherError):
    """An outcome contradicts its diagnosis, its decision or itself (``details["field"]``)."""

    code = "invalid_outcome"
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class CentreRequiredError(MatcherError):
    """A person's record was asked for with a key that belongs to no centre."""

    code = "centre_required"
    http_status = HTTPStatus.FORBIDDEN
