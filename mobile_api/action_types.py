"""The kinds of action a volunteer's app sends, by name: the serializers check them and
mobile_api/actions.py performs them."""

STOP_ACTIONS = ("arrive", "complete", "fail")
ROUTE_ACTIONS = ("start", "finish")
CONCERN = "concern"
ACTION_TYPES = ROUTE_ACTIONS + STOP_ACTIONS + (CONCERN,)
