"""Tests of matcher.errors: message, details, hierarchy."""

from __future__ import annotations

import pickle
from http import HTTPStatus

import pytest

from matcher import errors
from matcher.errors import (
    DataSchemaError,
    InvalidProfileError,
    MatcherError,
    NoActiveModelError,
    UnknownModelVersionError,
)


def test_message_and_details():
    details = {"field": "profile.age"}
    err = InvalidProfileError("age: must be 18-75", details=details)
    assert str(err) == "age: must be 18-75"
    assert err.message == "age: must be 18-75"
    assert err.details == {"field": "profile.age"}
    details["field"] = "changed"
    assert err.details == {"field": "profile.age"}  # copied, not shared
    assert InvalidProfileError("x").details == {}


def test_every_error_is_a_matcher_error():
    with pytest.raises(MatcherError):
        raise DataSchemaError("file lacks a column")
    assert issubclass(UnknownModelVersionError, MatcherError)
    assert issubclass(MatcherError, Exception)


def test_base_defaults():
    assert MatcherError.code == "matcher_error"
    assert MatcherError.http_status == HTTPStatus.INTERNAL_SERVER_ERROR


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (errors.InvalidProfileError, "invalid_profile", 422),
        (errors.DataSchemaError, "data_schema", 422),
        (errors.ReferenceDataError, "reference_invalid", 500),
        (errors.UnknownProjectTypeError, "project_type_not_found", 404),
        (errors.UnknownModelVersionError, "model_version_not_found", 404),
        (errors.NoActiveModelError, "no_active_model", 503),
        (errors.CatalogueMismatchError, "catalogue_mismatch", 503),
        (errors.IncompatibleModelError, "model_incompatible", 503),
        (errors.PromotionRefusedError, "promotion_refused", 409),
        (errors.TrainingDataError, "training_data", 422),
        (errors.NotFoundError, "not_found", 404),
    ],
)
def test_code_and_status(cls, code, status):
    err = cls("msg")
    assert err.code == code
    assert err.http_status == status


def test_errors_pickle():
    err = NoActiveModelError("no active model", details={"registry": "models"})
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is NoActiveModelError
    assert str(back) == back.message == "no active model"


def test_details_survive_pickling():
    """Errors raised in a worker process must keep their details."""
    err = DataSchemaError("lacks budget_mad", details={"missing_columns": ["budget_mad"]})
    assert pickle.loads(pickle.dumps(err)).details == {"missing_columns": ["budget_mad"]}
