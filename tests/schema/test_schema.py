"""Schema inference, overrides, column reading and round trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import (
    ColumnTypeError,
    ConfigurationError,
    EmptyDataError,
    MissingColumnError,
    SchemaError,
)
from driftguard.schema.features import (
    FeatureSpec,
    Schema,
    categorical_values,
    infer_schema,
    normalised_columns,
    numeric_values,
    to_columns,
)
from driftguard.types import FeatureKind

NUM, CAT = FeatureKind.NUMERIC, FeatureKind.CATEGORICAL


def _kinds(schema: Schema) -> dict[str, FeatureKind]:
    return {f.name: f.kind for f in schema.features}


# --- default kinds -----------------------------------------------------------------------


def test_default_kinds_by_dtype() -> None:
    data = {
        "f": np.array([1.5, 2.5, np.nan]),
        "i": np.array([1, 2, 3]),
        "u": np.array([1, 2, 3], dtype=np.uint8),
        "s": np.array(["a", "b", "a"]),
        "b": np.array([True, False, True]),
        "o_str": np.array(["x", None, "y"], dtype=object),
        "o_num": np.array([1, 2.5, None], dtype=object),
        "o_mixed": np.array([1, "two", 3], dtype=object),
        "o_bool": np.array([True, False, None], dtype=object),
    }
    assert _kinds(infer_schema(data)) == {
        "f": NUM,
        "i": NUM,
        "u": NUM,
        "s": CAT,
        "b": CAT,
        "o_str": CAT,
        "o_num": NUM,
        "o_mixed": CAT,
        "o_bool": CAT,
    }


@pytest.mark.parametrize(
    "column",
    [
        np.array([0.0, 1.0] * 50),
        np.array([0, 1] * 50),
        np.array([3.0] * 10),
        np.array([0.0, 1.0, np.nan] * 10),
    ],
)
def test_low_cardinality_numbers_stay_numeric(column: np.ndarray) -> None:
    spec = infer_schema({"flag": column})["flag"]
    assert spec.kind is NUM
    assert spec.vocabulary == ()


def test_numeric_spec_records_finite_range() -> None:
    spec = infer_schema({"x": np.array([-np.inf, 2.0, np.nan, -3.0, 7.5, np.inf])})["x"]
    assert (spec.low, spec.high) == (-3.0, 7.5)


def test_categorical_vocabulary_sorted_without_missing() -> None:
    col = np.array(["b", None, "a", "c", "a", float("nan")], dtype=object)
    spec = infer_schema({"c": col})["c"]
    assert spec.kind is CAT
    assert spec.vocabulary == ("a", "b", "c")


def test_bool_vocabulary() -> None:
    assert infer_schema({"b": np.array([True, False])})["b"].vocabulary == ("False", "True")


# --- overrides ---------------------------------------------------------------------------


def test_categorical_override_on_numbers() -> None:
    schema = infer_schema(
        {"zip": np.array([10.0, 20.0, 10.0, np.nan]), "x": np.array([1.0, 2.0, 3.0, 4.0])},
        categorical=["zip"],
    )
    assert schema["zip"].kind is CAT
    assert schema["zip"].vocabulary == ("10", "20")
    assert schema["x"].kind is NUM


def test_numeric_override_on_number_strings() -> None:
    spec = infer_schema({"v": np.array(["1.5", "2", "-3"])}, numeric=["v"])["v"]
    assert spec.kind is NUM
    assert (spec.low, spec.high) == (-3.0, 2.0)


def test_numeric_override_on_text_raises_from_infer_schema() -> None:
    data = {"city": np.array(["paris", "rome"]), "x": np.array([1.0, 2.0])}
    with pytest.raises(ColumnTypeError, match="'city'") as info:
        infer_schema(data, numeric=["city"])
    assert info.value.column == "city"
    assert "paris" in str(info.value)


def test_numeric_override_on_bool_raises() -> None:
    with pytest.raises(ColumnTypeError, match="'b'"):
        infer_schema({"b": np.array([True, False])}, numeric=["b"])


def test_declared_numeric_column_with_text_raises_when_profile_is_fitted() -> None:
    schema = Schema((FeatureSpec("city", NUM), FeatureSpec("x", NUM)))
    data = {"city": np.array(["paris", "rome"] * 20), "x": np.arange(40.0)}
    with pytest.raises(ColumnTypeError, match="'city'") as info:
        ReferenceProfile(n_resamples=20).fit(data, schema=schema)
    assert info.value.column == "city"


def test_text_in_numeric_window_column_raises_naming_column() -> None:
    g = np.random.default_rng(0)
    profile = ReferenceProfile(n_resamples=20).fit({"age": g.normal(size=100)})
    with pytest.raises(ColumnTypeError, match=r"'age'.*'old'"):
        profile.window({"age": np.array([1.0, "old", 2.0], dtype=object)})


@pytest.mark.parametrize("kw", ["categorical", "numeric"])
def test_override_of_missing_column_raises(kw: str) -> None:
    with pytest.raises(MissingColumnError, match="'ghost'") as info:
        infer_schema({"x": np.array([1.0, 2.0])}, **{kw: ["ghost"]})
    assert info.value.column == "ghost"


def test_column_in_both_override_lists_rejected() -> None:
    with pytest.raises(ConfigurationError, match="both"):
        infer_schema({"x": np.array([1.0])}, categorical=["x"], numeric=["x"])


def test_empty_column_raises() -> None:
    with pytest.raises(EmptyDataError, match="'x'"):
        infer_schema({"x": np.array([], dtype=float)})


def test_numeric_column_without_finite_values_raises() -> None:
    with pytest.raises(EmptyDataError, match="'x'"):
        infer_schema({"x": np.array([np.nan, np.inf])})


# --- Schema object -----------------------------------------------------------------------


def test_duplicate_feature_names_rejected() -> None:
    with pytest.raises(ConfigurationError, match="duplicate"):
        Schema((FeatureSpec("a", NUM), FeatureSpec("b", CAT), FeatureSpec("a", CAT)))


def test_empty_schema_rejected() -> None:
    with pytest.raises(ConfigurationError):
        Schema(())


def test_duplicate_names_for_array_input_rejected() -> None:
    with pytest.raises((ConfigurationError, SchemaError)):
        infer_schema(np.arange(6.0).reshape(3, 2), names=["a", "a"])


def test_getitem_unknown_feature() -> None:
    schema = infer_schema({"x": np.array([1.0])})
    with pytest.raises(MissingColumnError, match="'y'"):
        schema["y"]


def test_schema_dict_round_trip() -> None:
    data = {
        "age": np.array([31.0, 45.0, np.nan, 22.0]),
        "city": np.array(["b", "a", "", "b"]),
        "code": np.array([3, 1, 2, 3]),
    }
    schema = infer_schema(data, categorical=["code"])
    doc = json.loads(json.dumps(schema.to_dict()))
    back = Schema.from_dict(doc)
    assert back == schema
    assert back.names == ("age", "city", "code")
    assert back["code"].vocabulary == ("1", "2", "3")
    assert back["age"].low == 22.0


# --- to_columns --------------------------------------------------------------------------


def test_to_columns_dict() -> None:
    cols = to_columns({"a": [1, 2], "b": np.array(["x", "y"])})
    assert list(cols) == ["a", "b"]
    np.testing.assert_array_equal(cols["a"], [1, 2])
    assert to_columns({"a": [1], "b": [2]}, names=["b"]).keys() == {"b"}


def test_to_columns_2d_array() -> None:
    arr = np.arange(6.0).reshape(3, 2)
    cols = to_columns(arr)
    assert list(cols) == ["x0", "x1"]
    np.testing.assert_array_equal(cols["x1"], [1.0, 3.0, 5.0])
    named = to_columns(arr, names=["p", "q"])
    np.testing.assert_array_equal(named["p"], [0.0, 2.0, 4.0])
    with pytest.raises(ConfigurationError, match="names"):
        to_columns(arr, names=["only-one"])
    with pytest.raises(ColumnTypeError):
        to_columns(np.arange(3.0))


def test_to_columns_dataframe() -> None:
    df = pd.DataFrame({"age": [1.0, 2.0, np.nan], "city": ["a", None, "b"], 7: [1, 2, 3]})
    cols = to_columns(df)
    assert list(cols) == ["age", "city", "7"]
    np.testing.assert_array_equal(cols["7"], [1, 2, 3])
    schema = infer_schema(df)
    assert _kinds(schema) == {"age": NUM, "city": CAT, "7": NUM}
    assert schema["city"].vocabulary == ("a", "b")
    assert list(to_columns(df, names=["city"])) == ["city"]


def test_to_columns_dataframe_equals_dict_input() -> None:
    g = np.random.default_rng(0)
    data = {"x": g.normal(size=50), "c": g.choice(["u", "v"], size=50)}
    assert infer_schema(pd.DataFrame(data)) == infer_schema(data)


def test_to_columns_missing_and_ragged() -> None:
    with pytest.raises(MissingColumnError, match="'z'"):
        to_columns({"a": [1]}, names=["a", "z"])
    with pytest.raises(ColumnTypeError, match="'b'"):
        to_columns({"a": [1, 2, 3], "b": [1, 2]})


def test_pandas_string_na_is_missing() -> None:
    df = pd.DataFrame({"s": pd.array(["a", None, "b"], dtype="string")})
    assert infer_schema(df)["s"].vocabulary == ("a", "b")


def test_object_column_of_numpy_ints_is_numeric() -> None:
    col = np.array([np.int64(1), np.int64(2), np.int64(5)], dtype=object)
    assert infer_schema({"v": col})["v"].kind is NUM


def test_object_column_of_numpy_floats_is_numeric() -> None:
    col = np.array([np.float64(1.5), np.float64(2.0)], dtype=object)
    assert infer_schema({"v": col})["v"].kind is NUM


# --- reading values ----------------------------------------------------------------------


def test_numeric_values_keeps_nan_and_inf() -> None:
    out = numeric_values("x", np.array([1, None, "inf", "-2.5"], dtype=object))
    np.testing.assert_array_equal(out, [1.0, np.nan, np.inf, -2.5])
    assert out.dtype == np.float64


def test_categorical_values_marks_missing() -> None:
    np.testing.assert_array_equal(
        categorical_values(np.array([1.0, np.nan, 2.5])), ["1", "", "2.5"]
    )
    np.testing.assert_array_equal(
        categorical_values(np.array(["a", None, float("nan"), 3], dtype=object)),
        ["a", "", "", "3"],
    )
    np.testing.assert_array_equal(categorical_values(np.array([True, False])), ["True", "False"])


def test_normalised_columns_follow_schema_order_and_kinds() -> None:
    schema = Schema((FeatureSpec("c", CAT, vocabulary=("1", "2")), FeatureSpec("x", NUM)))
    cols = normalised_columns(schema, {"x": np.array([1, 2]), "c": np.array([1.0, np.nan])})
    assert list(cols) == ["c", "x"]
    assert cols["x"].dtype == np.float64
    np.testing.assert_array_equal(cols["c"], ["1", ""])
