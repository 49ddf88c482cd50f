"""A typed handler's binding, built once per route when it is registered (never per request).

How parameters are bound (see docs/runtime.md):
- a name in the path template is a path parameter;
- a pydantic model (or `list[Model]`) is the JSON body;
- a parameter annotated `Request` is the raw request (so is the only, unannotated parameter of
  a `Request`-style handler such as `lambda r: ...`);
- a `Header(...)` default is a header (`x_tenant` reads `X-Tenant`);
- everything else is a query parameter, a list for `list[...]`.

Path, query and header values are validated in one pydantic call, on one flat model (the
per-kind models, with the wire names as aliases, are for the OpenAPI document); the body is
parsed and validated by pydantic from the raw bytes (JSON mode, strict, so the schema says
exactly what passes). All problems come back together as one 422.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model
from pydantic import ValidationError as PydanticError
from pydantic.fields import FieldInfo

from flotilla.runtime import errors, fastjson
from flotilla.runtime.dispatch import JSON_TYPE, NO_BODY, Rendered
from flotilla.runtime.messages import Request, Response
from flotilla.runtime.params import Param

KINDS = ("path", "query", "header")
_PARAMS_CONFIG = ConfigDict(extra="ignore")


def _unwrap_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def is_body_type(tp: Any) -> bool:
    """A model, `list[Model]`, or either of them optional."""
    tp = _unwrap_optional(tp)
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp) or (Any,)
        return is_model(item)
    return is_model(tp)


def is_list(tp: Any) -> bool:
    return typing.get_origin(_unwrap_optional(tp)) is list


@dataclass(frozen=True)
class Bound:
    """One bound parameter: the handler's argument name and the name on the wire."""

    name: str
    wire: str
    many: bool = False
    key: str = field(init=False, repr=False, compare=False)  # its field in the params models

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"p_{self.name}")


@dataclass
class Body:
    name: str
    adapter: TypeAdapter[Any]
    annotation: Any
    required: bool
    default: Any = None


@dataclass
class Binding:
    """Where each of a handler's arguments comes from, and the models that validate them."""

    path: str
    func: Callable[..., Any]
    is_async: bool
    status: int
    request_args: list[str] = field(default_factory=list)
    fields: dict[str, list[Bound]] = field(default_factory=dict)
    models: dict[str, type[BaseModel]] = field(default_factory=dict)
    # Validates every path, query and header value at once; its fields are `Bound.key`s.
    params: type[BaseModel] | None = None
    body: Body | None = None
    returns: Any = None  # the return annotation (the response schema), or None
    # Planned at registration: each kind's collector, (argument, params field) pairs, and
    # each params field's place on the wire for a 422's `loc`.
    _steps: list[tuple[_Collect, list[Bound]]] = field(default_factory=list, repr=False)
    _names: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _where: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    @property
    def typed(self) -> bool:
        return self.params is not None or self.body is not None

    @classmethod
    def build(
        cls, func: Callable[..., Any], path: str, path_params: list[str], status: int = 200
    ) -> Binding:
        """Classify `func`'s parameters (see the module docstring) and build their models."""
        try:
            hints = typing.get_type_hints(func, include_extras=True)
        except NameError as exc:
            raise ValueError(
                f"route {path}: cannot resolve the annotations of {func.__name__}: {exc} "
                "(define models before the handler)"
            ) from None
        returns = hints.pop("return", None)
        binding = cls(path, func, inspect.iscoroutinefunction(func), status)
        # None: no schema (unannotated, Any, Response); type(None): no body (204).
        binding.returns = None if returns in (None, Any, Response) else returns
        in_path = set(path_params)
        specs: dict[str, dict[str, tuple[Any, FieldInfo]]] = {k: {} for k in KINDS}
        flat: dict[str, dict[str, tuple[Any, Any]]] = {k: {} for k in KINDS}
        sig = inspect.signature(func)
        untyped = [p for p in sig.parameters.values() if p.name not in hints]
        if len(sig.parameters) == 1 and untyped and untyped[0].name not in in_path:
            binding.request_args.append(untyped[0].name)  # `lambda r: ...`
            return binding
        for p in sig.parameters.values():
            tp = hints.get(p.name, str)
            default = p.default
            kind: str
            if tp is Request:
                binding.request_args.append(p.name)
                continue
            if isinstance(default, Param):
                kind, info = default.kind, default.field
                wire = default.alias or (p.name.replace("_", "-") if kind == "header" else p.name)
            elif p.name in in_path:
                kind, info, wire = "path", FieldInfo.from_annotation(tp), p.name
            elif is_body_type(tp):
                if binding.body is not None:
                    raise ValueError(
                        f"route {path}: two body parameters ({binding.body.name}, "
                        f"{p.name}); a handler takes one model as its JSON body"
                    )
                required = default is inspect.Parameter.empty
                binding.body = Body(
                    p.name, TypeAdapter(tp), tp, required, None if required else default
                )
                continue
            else:
                kind, wire = "query", p.name
                info = FieldInfo.from_annotated_attribute(
                    tp, ... if default is inspect.Parameter.empty else default
                )
            if kind == "header":
                wire = wire.lower()
            specs[kind][f"p_{p.name}"] = (Annotated[tp, info, Field(alias=wire)], info.default)
            flat[kind][f"p_{p.name}"] = (Annotated[tp, info], info.default)
            binding.fields.setdefault(kind, []).append(Bound(p.name, wire, is_list(tp)))
        name = f"{func.__name__}_"
        for kind in KINDS:
            if specs[kind]:
                binding.models[kind] = create_model(  # type: ignore[call-overload]
                    f"{name}{kind}", __config__=_PARAMS_CONFIG, **specs[kind]
                )
        if binding.models:
            # Kinds in KINDS order, parameters in signature order: a 422 lists its fields in
            # the order the per-kind models (nested in one) gave them.
            ordered = {key: spec for kind in KINDS for key, spec in flat[kind].items()}
            binding.params = create_model(  # type: ignore[call-overload]
                f"{name}params", __config__=_PARAMS_CONFIG, **ordered
            )
            binding._plan()
        return binding

    def _plan(self) -> None:
        kinds = [k for k in KINDS if k in self.fields]
        self._steps = [(_COLLECT[kind], self.fields[kind]) for kind in kinds]
        self._names = [(f.name, f.key) for kind in kinds for f in self.fields[kind]]
        self._where = {f.key: (kind, f.wire) for kind in kinds for f in self.fields[kind]}

    def handler(self) -> Callable[[Request], Any]:
        """What the dispatch calls with the Request: the function itself when it takes only
        the request and answers 200, else a wrapper that binds, calls and shapes the result."""
        func, status = self.func, self.status
        if not self.typed and status == 200 and len(self.request_args) == 1:
            return func
        bind = self.bind
        if self.is_async:

            async def call_async(request: Request) -> Any:
                return shape(await func(**bind(request)), status)

            return call_async

        def call(request: Request) -> Any:
            return shape(func(**bind(request)), status)

        return call

    def bind(self, request: Request) -> dict[str, Any]:
        """The handler's keyword arguments, or ValidationFailed/HTTPError(400/413/415)."""
        kwargs: dict[str, Any] = dict.fromkeys(self.request_args, request)
        problems: list[dict[str, Any]] = []
        if self.params is not None:
            raw: dict[str, Any] = {}
            for collect, fields in self._steps:
                collect(fields, request, raw)
            try:
                values = self.params.__pydantic_validator__.validate_python(raw)
            except PydanticError as exc:
                problems.extend(self._param_errors(exc.errors()))
            else:
                given = values.__dict__
                for name, key in self._names:
                    kwargs[name] = given[key]
        if self.body is not None:
            found, value = self._body(request, problems)
            if found:
                kwargs[self.body.name] = value
        if problems:
            raise errors.ValidationFailed(problems)
        return kwargs

    def _param_errors(self, found: list[Any]) -> list[dict[str, Any]]:
        """pydantic's errors with each params field's loc as on the wire: `["query", "limit"]`."""
        out = errors.field_errors(found)
        for err in out:
            loc = err["loc"]
            if loc and loc[0] in self._where:
                err["loc"] = [*self._where[loc[0]], *loc[1:]]
        return out

    def _body(self, request: Request, problems: list[dict[str, Any]]) -> tuple[bool, Any]:
        body = self.body
        assert body is not None
        raw = request.body
        if not raw:
            if body.required:
                problems.append({"loc": ["body"], "msg": "Field required", "type": "missing"})
                return False, None
            return True, body.default
        content_type = request.headers.get("content-type")
        if not is_json(content_type):
            raise errors.not_json(content_type)
        try:
            return True, body.adapter.validate_json(raw, strict=True)
        except PydanticError as exc:
            found = exc.errors()
        if found[0]["type"] == "json_invalid":
            raise errors.malformed_json(found[0]["msg"].removeprefix("Invalid JSON: "))
        if all(_whole_float(err) for err in found):
            # JSON Schema counts 10.0 as an integer; strict pydantic does not. Only then is
            # lax mode used: every other input already passed the strict check.
            try:
                return True, body.adapter.validate_json(raw)
            except PydanticError as exc:
                found = exc.errors()
        problems.extend(errors.field_errors(found, ("body",)))
        return False, None


def _whole_float(err: Any) -> bool:
    value = err.get("input")
    return err["type"] == "int_type" and isinstance(value, float) and value.is_integer()


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (
        main.startswith("application/") and main.endswith("+json")
    )


def _collect_path(fields: list[Bound], request: Request, out: dict[str, Any]) -> None:
    params = request.path_params
    for f in fields:
        out[f.key] = params[f.name]


def _collect_query(fields: list[Bound], request: Request, out: dict[str, Any]) -> None:
    query = request.query
    for f in fields:
        if f.many:
            values = query.getlist(f.wire)
            if values:
                out[f.key] = values
        else:
            value = query.get(f.wire)
            if value is not None:
                out[f.key] = value


def _collect_header(fields: list[Bound], request: Request, out: dict[str, Any]) -> None:
    headers = request.headers
    for f in fields:
        value = headers.get(f.wire)
        if value is not None:
            out[f.key] = [v.strip() for v in value.split(",")] if f.many else value


# Puts a kind's raw values into the params model's input, under each field's key.
_Collect = Callable[[list[Bound], Request, dict[str, Any]], None]
_COLLECT: dict[str, _Collect] = {
    "path": _collect_path,
    "query": _collect_query,
    "header": _collect_header,
}


def shape(result: Any, status: int) -> Any:
    """Models (or lists of them) become JSON; a route's own status applies to bare values.

    A model's JSON comes from pydantic-core when fastjson vouches for the same bytes, as a
    Rendered; otherwise (and for bodiless statuses) it is JSON data that dispatch encodes."""
    if isinstance(result, BaseModel):
        if status not in NO_BODY:
            body = fastjson.model_json(result)
            if body is not None:
                return Rendered(status, body, [("content-type", JSON_TYPE)])
        result = result.model_dump(mode="json")
    elif isinstance(result, list) and result and isinstance(result[0], BaseModel):
        if status not in NO_BODY:
            body = fastjson.models_json(result)
            if body is not None:
                return Rendered(status, body, [("content-type", JSON_TYPE)])
        result = [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in result]
    if status == 200 or isinstance(result, Response | tuple):
        return result
    return Response(result, status=status)
