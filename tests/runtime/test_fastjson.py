"""pydantic-core's JSON is used for a returned model only where it is byte-for-byte the body
`dumps(model_dump(mode="json"))` gave before: same floats, datetimes, non-ASCII, escapes,
key order; everything it cannot vouch for keeps the old path."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
import warnings
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    computed_field,
    field_serializer,
    field_validator,
)

from flotilla import Response
from flotilla.runtime import fastjson
from flotilla.runtime.binding import shape
from flotilla.runtime.dispatch import dumps, render


def slow(model: BaseModel) -> bytes:
    return dumps(model.model_dump(mode="json"))


class Color(enum.StrEnum):
    red = "rød"
    blue = "blue"


class Level(enum.IntEnum):
    low = 1
    high = 2


class Leaf(BaseModel):
    name: str
    when: dt.datetime | None = None


class Tree(BaseModel):
    label: str
    children: list[Tree] = []


class Item(BaseModel):
    id: str
    tags: list[str]
    limit: int = Field(ge=1, le=100)


class Wide(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    text: str
    count: int
    big: int
    flag: bool
    nothing: None = None
    maybe: str | None = None
    choice: int | str = 0
    kind: Literal["a", "b", 3, True, None] = "a"
    color: Color = Color.red
    level: Level = Level.low
    when: dt.datetime
    day: dt.date
    at: dt.time
    ident: uuid.UUID
    pair: tuple[str, int] = ("x", 1)
    mapping: dict[str, list[int]] = {}
    leaves: list[Leaf] = []
    tree: Tree | None = None
    renamed: str = Field("r", serialization_alias="Renamed")
    checked: str = "c"

    @field_validator("checked")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()


NOW = dt.datetime(2026, 12, 2, 21, 43, 40, 123456, tzinfo=dt.UTC)
TZ = dt.timezone(dt.timedelta(hours=-3, minutes=-30))


def wide(**over: Any) -> Wide:
    base: dict[str, Any] = {
        "text": 'héllo wörld ✓ 日本 \U0001f600 "q" \\ / \n\r\t\b\f \x00\x1f\x7f \u2028\u2029 </x>',
        "count": -7,
        "big": 2**80,
        "flag": True,
        "when": NOW,
        "day": dt.date(2026, 1, 2),
        "at": dt.time(1, 2, 3, 4),
        "ident": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "mapping": {"ünï": [1, 2], "": [], "b": [-(2**70)]},
        "leaves": [Leaf(name="a"), Leaf(name="b", when=dt.datetime(2020, 1, 1, tzinfo=TZ))],
        "tree": Tree(label="root", children=[Tree(label="kid")]),
    }
    return Wide(**{**base, **over})


@pytest.mark.parametrize(
    "model",
    [
        Item(id="abc", tags=["x", "y"], limit=7),
        Item(id="", tags=[], limit=100),
        wide(),
        wide(choice="s", kind=3, color=Color.blue, level=Level.high, maybe="m"),
        wide(kind=None, when=dt.datetime(1999, 12, 31, 23, 59, 59), checked="  pad  "),
        wide(when=dt.datetime(2026, 6, 1, 12, 0, tzinfo=TZ), at=dt.time(23, 0, tzinfo=dt.UTC)),
        Tree(label="a", children=[Tree(label="b", children=[Tree(label="c")])]),
    ],
)
def test_safe_models_give_the_same_bytes_from_pydantic_core(model: BaseModel) -> None:
    fast = fastjson.model_json(model)
    assert fast is not None, type(model).__name__
    assert fast == slow(model)


@given(
    text=st.text(),
    count=st.integers(),
    when=st.datetimes(timezones=st.none() | st.timezones()),
    keys=st.dictionaries(st.text(), st.lists(st.integers(-(2**70), 2**70), max_size=3)),
)
@settings(max_examples=300, deadline=None)
def test_any_text_ints_and_datetimes_match(
    text: str, count: int, when: dt.datetime, keys: dict[str, list[int]]
) -> None:
    try:
        expected = slow(wide(text=text, count=count, when=when, mapping=keys))
    except UnicodeEncodeError:  # lone surrogates: no body either way (a 500)
        assert fastjson.model_json(wide(text=text, count=count, when=when, mapping=keys)) is None
        return
    assert fastjson.model_json(wide(text=text, count=count, when=when, mapping=keys)) == expected


class Floaty(BaseModel):
    value: float


class Nested(BaseModel):
    inner: Floaty


class Loose(BaseModel):
    data: dict[str, Any]


class Anything(BaseModel):
    data: Any


class Extra(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str


class Seconds(BaseModel):
    model_config = ConfigDict(ser_json_temporal="seconds")
    when: dt.datetime


class Custom(BaseModel):
    name: str

    @field_serializer("name")
    def _ser(self, v: str) -> float:
        return 1e-05


class Plain(BaseModel):
    name: Annotated[str, PlainSerializer(lambda v: 1e-05)]


class Computed(BaseModel):
    name: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ratio(self) -> float:
        return 1e-05


class Flt(enum.Enum):
    a = 1e-05


class FloatEnum(BaseModel):
    e: Flt


class Timedelta(BaseModel):
    d: dt.timedelta


class Keys(BaseModel):
    d: dict[int, str]


@pytest.mark.parametrize(
    "model",
    [
        Floaty(value=1e-05),
        Floaty(value=float("inf")),
        Nested(inner=Floaty(value=2.5e-05)),
        Loose(data={"x": 1e-05}),
        Anything(data=[1e-07]),
        Extra(name="a", x=1e-05),  # type: ignore[call-arg]
        Seconds(when=NOW),
        Custom(name="a"),
        Plain(name="a"),
        Computed(name="a"),
        FloatEnum(e=Flt.a),
        Timedelta(d=dt.timedelta(seconds=1)),
        Keys(d={1: "a"}),
    ],
)
def test_models_that_may_format_differently_keep_the_old_path(model: BaseModel) -> None:
    assert fastjson.model_json(model) is None


def test_a_value_that_does_not_fit_its_field_keeps_the_old_path_and_its_warning() -> None:
    item = Item(id="a", tags=[], limit=1)
    item.limit = 1e-05  # type: ignore[assignment]  # no validate_assignment
    assert fastjson.model_json(item) is None
    with pytest.warns(UserWarning):
        assert slow(item) == b'{"id":"a","tags":[],"limit":1e-05}'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fastjson.model_json(Item(id="a", tags=[], limit=1)) is not None


class Typed(BaseModel):
    count: int
    day: dt.date
    name: str
    names: list[str] = []


class Text(str):
    pass


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", True),  # bool is an int subclass
        ("count", Level.high),  # so is IntEnum
        ("day", NOW),  # datetime is a date subclass
        ("name", Text("t")),
        ("names", ["a", 1]),
        ("names", ("a",)),
    ],
)
def test_a_value_of_another_type_or_a_subclass_keeps_the_old_path(field: str, value: Any) -> None:
    model = Typed(count=1, day=dt.date(2026, 1, 2), name="n")
    setattr(model, field, value)  # no validate_assignment
    assert fastjson.model_json(model) is None
    assert fastjson.models_json([model]) is None


def test_missing_fields_and_a_model_that_contains_itself_keep_the_old_path() -> None:
    assert fastjson.model_json(Typed.model_construct(count=1)) is None
    tree = Tree(label="a")
    tree.children.append(tree)
    assert fastjson.model_json(tree) is None
    with pytest.raises(ValueError, match="Circular reference"):
        slow(tree)


def test_values_are_checked_here_not_by_pydantic_cores_warnings_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """warnings="error" hands the GIL away twice per call (see fastjson): never passed."""
    seen: list[dict[str, Any]] = []

    class Spy:
        def __init__(self, real: Any) -> None:
            self.real = real

        def to_json(self, value: Any, **options: Any) -> bytes:
            seen.append(options)
            out: bytes = self.real.to_json(value, **options)
            return out

    class One(BaseModel):
        name: str

    monkeypatch.setattr(One, "__pydantic_serializer__", Spy(One.__pydantic_serializer__))
    monkeypatch.setitem(fastjson._list_serializers, One, Spy(TypeAdapter(list[One]).serializer))
    assert fastjson.model_json(One(name="a")) == b'{"name":"a"}'
    assert fastjson.models_json([One(name="a"), One(name="b")]) == b'[{"name":"a"},{"name":"b"}]'
    assert len(seen) == 2
    assert all(not isinstance(options.get("warnings"), str) for options in seen)


def test_a_lone_surrogate_keeps_the_old_path_and_its_error() -> None:
    leaf = Leaf(name="a\ud800b")
    assert fastjson.model_json(leaf) is None
    with pytest.raises(UnicodeEncodeError):
        slow(leaf)


def test_lists_are_one_array_and_mixed_ones_keep_the_old_path() -> None:
    items = [Item(id="a", tags=["é"], limit=1), Item(id="b", tags=[], limit=2)]
    assert fastjson.models_json(items) == dumps([i.model_dump(mode="json") for i in items])
    assert fastjson.models_json([*items, Floaty(value=1.0)]) is None
    assert fastjson.models_json([*items, {"id": "c"}]) is None
    for same in ([wide(), wide(choice="s", kind=None, maybe="m")], [Tree(label="t"), TREE]):
        assert fastjson.models_json(same) == dumps([m.model_dump(mode="json") for m in same])
    assert fastjson.models_json([*items, Leaf(name="l")]) is None  # two classes, both safe


TREE = Tree(label="a", children=[Tree(label="b", children=[Tree(label="c")])])


def _old_shape(result: Any, status: int) -> Any:
    """binding.shape before pydantic-core's JSON: what every answer must still equal."""
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    elif isinstance(result, list) and result and isinstance(result[0], BaseModel):
        result = [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in result]
    if status == 200 or isinstance(result, Response | tuple):
        return result
    return Response(result, status=status)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 304])
@pytest.mark.parametrize(
    "result",
    [
        Item(id="ä", tags=["x"], limit=3),
        [Item(id="a", tags=[], limit=1), Item(id="b", tags=["y"], limit=2)],
        [Item(id="a", tags=[], limit=1), {"raw": 1e-05}],
        Floaty(value=1e-05),
        wide(),
        [],
        {"plain": 1e-05},
    ],
    ids=["model", "models", "mixed", "float", "wide", "empty", "dict"],
)
def test_typed_answers_are_rendered_as_before(result: Any, status: int) -> None:
    new, old = render(shape(result, status)), render(_old_shape(result, status))
    assert (new.status, new.body, new.headers) == (old.status, old.body, old.headers)
