"""The recurrence picker (backend/core/recurrence_picker.py): the choices a rule opens with
make the same rule again; a rule the choices cannot make stays "another rule"."""
import pytest

from backend.core.recurrence_picker import ADVANCED, picker_rule, picker_values


@pytest.mark.parametrize(("rule", "mode"), [
    ("FREQ=WEEKLY;BYDAY=TU", "weekly"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "weekly"),
    ("FREQ=WEEKLY;INTERVAL=8;BYDAY=MO,WE,FR;COUNT=20", "weekly"),
    ("FREQ=DAILY", "weekly"),
    ("FREQ=WEEKLY;BYDAY=SA;UNTIL=20271231", "weekly"),
    ("FREQ=MONTHLY;BYDAY=1MO,3MO", "monthly_nth"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "monthly_nth"),
    ("FREQ=MONTHLY;BYDAY=2TU,4TU,2TH,4TH", "monthly_nth"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15", "monthly_days"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=6", "monthly_days"),
])
def test_the_choices_make_the_rule_again(rule, mode):
    values = picker_values(rule)
    assert values["mode"] == mode
    assert values["advanced"] == ""  # the rule's text is not on the page
    assert picker_rule(values) == rule


@pytest.mark.parametrize("rule", [
    "FREQ=WEEKLY",  # the weekday comes from the start date
    "FREQ=WEEKLY;INTERVAL=9;BYDAY=TU",
    "FREQ=WEEKLY;BYDAY=TU;WKST=SU",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO",
    "FREQ=MONTHLY;BYDAY=1MO,3WE",
    "FREQ=MONTHLY;BYDAY=5MO",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=MONTHLY;BYMONTHDAY=-2",
    "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15",
    "FREQ=DAILY;INTERVAL=3",
    "not a rule",
])
def test_a_rule_the_choices_cannot_make_stays_as_it_is(rule):
    values = picker_values(rule)
    assert values["mode"] == ADVANCED
    assert values["advanced"] == rule
