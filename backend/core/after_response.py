"""Work that must not lengthen the answer: run it once the answer has been sent.

Django closes a response after the server has written it; callables queued here during a
request run then. Outside a request (a command, a worker) they run at once. The sign-in code
uses it when there is no worker: sending the SMS after the answer keeps a volunteer's phone
and an unknown one answering in the same time.
"""
import logging
import threading
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)
_state = threading.local()


def after_response(fn: Callable[[], object]) -> None:
    """Run `fn` once this request's answer has been sent; at once outside a request."""
    queue = getattr(_state, "queue", None)
    if queue is None:
        fn()
    else:
        queue.append(fn)


def _logged(fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except Exception:  # Django ignores what a closer raises: say it in the log
            log.exception("work left for after the answer failed")
    return run


class AfterResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _state.queue = []
        try:
            response = self.get_response(request)
        finally:
            queue, _state.queue = _state.queue, None
        # Django runs a response's closers when the server closes it, after the bytes went out.
        response._resource_closers.extend(_logged(fn) for fn in queue)
        return response
