"""The staff API's plain-dict answers against DRF's own field-by-field serialization.

Some answers are built as plain dicts (a card, a title, an order) while their serializer
classes stay the schema. `field_by_field` is what DRF itself writes for the same serializer
class: the base class's `Serializer.to_representation`, run over the declared fields (as
`get_fields` leaves them for the context), nested serializers field by field too.
"""
import json
from types import MethodType

from rest_framework import serializers
from rest_framework.renderers import JSONRenderer


def _by_fields(serializer: serializers.Serializer) -> None:
    """Make `serializer` and the serializers nested in it write field by field: the base
    class's method on these very instances (the classes are left as they are)."""
    serializer.to_representation = MethodType(serializers.Serializer.to_representation,
                                              serializer)
    for field in serializer.fields.values():
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.Serializer):
            _by_fields(nested)


def field_by_field(serializer_class, instance, **kwargs) -> dict:
    """DRF's answer for `instance`: every declared field the context leaves, in order."""
    serializer = serializer_class(instance, **kwargs)
    _by_fields(serializer)
    data = serializer.to_representation(instance)
    # The fields DRF ran are the declared ones, in their order (none skipped, none added).
    assert list(data) == list(serializer.fields), (list(data), list(serializer.fields))
    return data


def as_sent(data) -> bytes:
    return JSONRenderer().render(data)


def as_json(data):
    """`data` as a client reads it (JSON decoded, keys in their order)."""
    return json.loads(as_sent(data))


def assert_same_answer(plain, reference) -> None:
    """The same keys in the same order, the same values, and the same bytes once sent
    (so 1 and True, 1 and 1.0, "1" and 1 are told apart)."""
    assert list(plain.items()) == list(reference.items())
    assert as_sent(plain) == as_sent(reference)
