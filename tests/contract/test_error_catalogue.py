"""Every MatcherError subclass: a unique, stable code and an explicit HTTP status."""

from __future__ import annotations

import importlib
import pkgutil
import re
from http import HTTPStatus

import pytest

import matcher
from matcher import errors
from matcher.errors import MatcherError

CATALOGUE = {
    "InvalidProfileError": ("invalid_profile", 422),
    "DataSchemaError": ("data_schema", 422),
    "ReferenceDataError": ("reference_invalid", 500),
    "UnknownProjectTypeError": ("project_type_not_found", 404),
    "UnknownModelVersionError": ("model_version_not_found", 404),
    "NoActiveModelError": ("no_active_model", 503),
    "CatalogueMismatchError": ("catalogue_mismatch", 503),
    "IncompatibleModelError": ("model_incompatible", 503),
    "PromotionRefusedError": ("promotion_refused", 409),
    "TrainingDataError": ("training_data", 422),
    "NotFoundError": ("not_found", 404),
    "DecisionConflictError": ("decision_conflict", 409),
    "OutcomeRuleError": ("invalid_outcome", 422),
    "CentreRequiredError": ("centre_required", 403),
}


def all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(all_subclasses(sub))
    return out


@pytest.fixture(scope="module")
def error_classes() -> list[type]:
    for info in pkgutil.walk_packages(matcher.__path__, "matcher."):
        importlib.import_module(info.name)
    return all_subclasses(MatcherError)


def test_catalogue_is_complete(error_classes):
    assert {cls.__name__ for cls in error_classes} >= set(CATALOGUE)


def test_codes_are_unique(error_classes):
    codes = [cls.code for cls in error_classes]
    assert len(codes) == len(set(codes)), codes
    assert MatcherError.code not in codes


def test_code_and_status_are_defined_on_each_class(error_classes):
    for cls in error_classes:
        assert "code" in vars(cls), cls
        assert "http_status" in vars(cls), cls
        assert re.fullmatch(r"[a-z][a-z_]*[a-z]", cls.code), cls.code
        assert isinstance(cls.http_status, HTTPStatus), cls
        assert 400 <= cls.http_status < 600, cls


@pytest.mark.parametrize(("name", "expected"), sorted(CATALOGUE.items()))
def test_documented_codes_are_stable(name, expected):
    cls = getattr(errors, name)
    assert (cls.code, int(cls.http_status)) == expected


def test_docstring_table_matches_the_classes():
    doc = errors.__doc__ or ""
    for name, (code, status) in CATALOGUE.items():
        assert re.search(rf"{name}\s+{code}\s+{status}", doc), name


def test_errors_carry_message_and_details(error_classes):
    for cls in error_classes:
        err = cls("something is wrong", details={"field": "profile.age"})
        assert isinstance(err, MatcherError)
        assert str(err) == err.message == "something is wrong"
        assert err.details == {"field": "profile.age"}
        assert cls("x").details == {}
