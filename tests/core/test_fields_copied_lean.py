"""Serializers whose fields are made again without deep-copying what they were given have
the fields DRF's deep copy gives, each instance its own (nested serializers too), and
validate as those do."""
import pytest
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from backend.orders.serializers import (
    CallInputSerializer,
    OrderInputSerializer,
    OrderLineInputSerializer,
    WishSerializer,
)

LEAN = [OrderInputSerializer, OrderLineInputSerializer, WishSerializer, CallInputSerializer]


SETTINGS = ("required", "default", "allow_null", "allow_blank", "max_length", "min_value",
            "max_value", "help_text", "label", "read_only", "write_only", "bounds")


def _what(field) -> dict:
    shown = {name: getattr(field, name, None) for name in SETTINGS}
    shown["class"] = type(field)
    shown["error_messages"] = {k: str(v) for k, v in field.error_messages.items()}
    if isinstance(field, serializers.ChoiceField):
        shown["choices"] = field.choices
    queryset = getattr(field, "queryset", None)
    shown["queryset"] = None if queryset is None else str(queryset.query)
    if isinstance(field, serializers.ListSerializer):
        shown["child"] = type(field.child)
        shown["allow_empty"] = field.allow_empty
    return shown


@pytest.mark.parametrize("serializer_class", LEAN)
def test_the_fields_are_those_a_deep_copy_makes(serializer_class):
    lean = serializer_class().fields
    # DRF's own: the declared fields copied deep, bound to an instance as `fields` binds them.
    deep = BindingDict(serializer_class())
    for name, field in serializers.Serializer.get_fields(deep.serializer).items():
        deep[name] = field
    assert list(lean) == list(deep)
    for name, field in lean.items():
        assert _what(field) == _what(deep[name]), name


@pytest.mark.parametrize("serializer_class", LEAN)
def test_each_instance_has_fields_of_its_own(serializer_class):
    first, second = serializer_class().fields, serializer_class().fields
    for name in first:
        assert first[name] is not second[name]
        assert first[name] is not serializer_class._declared_fields[name]
        assert first[name].parent is not second[name].parent
        if isinstance(first[name], serializers.ListSerializer):
            assert first[name].child is not second[name].child
            assert first[name].child.parent is first[name]


def test_two_orders_validated_one_after_the_other_keep_their_own_errors(db):
    wish = {"reader": "abc", "lines": [{"wish": {"text": "стихи", "language": "kk"}}]}
    bad = {"reader": "abc", "lines": [{"wish": {}}], "channel": "pigeon",
           "call": {"phone": "8 701 123 45 67", "duration_seconds": -1}}
    first = OrderInputSerializer(data=wish)
    second = OrderInputSerializer(data=bad)
    assert not first.is_valid() and not second.is_valid()
    assert set(first.errors) == {"reader"}
    assert set(second.errors) == {"reader", "lines", "channel"}
    assert set(second.errors["lines"][0]) == {"wish"}
    assert OrderInputSerializer(data={**wish, "reader": 10**30}).is_valid() is False
