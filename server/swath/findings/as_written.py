"""A pydantic model that dumps like the dict it was made from.

`Finding.data` was a plain dict before it was typed; reports, SARIF and the store must read the
same bytes as then. So a model built on `AsWritten` dumps only the keys that were given (a
typed key never given is left out, not written as null), in the order they were given; a key
set later comes after them, as it would in a dict.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import Self


class AsWritten(BaseModel):
    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        out = handler(value)
        if isinstance(value, dict):
            out._order = tuple(str(k) for k in value)
        elif isinstance(value, AsWritten):
            out._order = value._order
        return out

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        given = self.model_fields_set | set(self.__pydantic_extra__ or ())
        # A key given by its alias (newText) is in `given` by its field name: it goes last.
        names = [*(k for k in self._order if k in given), *sorted(given - set(self._order))]
        return {k: dumped[k] for k in names if k in dumped}

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The dump has the fields' shape, only fewer of them: publish the fields, not the
        # serializer's "any object".
        return handler(_without_serializer(schema))

    def __eq__(self, other: object) -> bool:
        # The remembered order is how the data is written, not part of what it says.
        if not isinstance(other, AsWritten):
            return NotImplemented
        return type(self) is type(other) and self.model_dump() == other.model_dump()


def _without_serializer(schema: Any) -> Any:
    """The model's core schema without its serializer (under the order-remembering validator)."""
    out = {k: v for k, v in schema.items() if k != "serialization"}
    if out.get("type") == "function-wrap":
        out["schema"] = _without_serializer(out["schema"])
    return out
