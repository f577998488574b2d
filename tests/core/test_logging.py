"""Phone numbers never reach the logs in full."""
import logging

import pytest

from backend.core.logging import MaskPhonesFilter, mask_phones


@pytest.mark.parametrize("said", ["+77011234567", "87011234567", "8 701 123 45 67",
                                  "+7 (701) 123-45-67"])
def test_phone_in_any_form_is_masked(said):
    masked = mask_phones(f"SMS to {said}: your visit is tomorrow")
    assert "123" not in masked.replace("701", "")
    assert masked.endswith("67: your visit is tomorrow")


def test_other_numbers_are_left_alone():
    text = "order 12345 for 3 items, card BSH-00042, 2026-11-25 10:00"
    assert mask_phones(text) == text


def test_the_filter_masks_formatted_arguments_of_a_record():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "call from %s to %s",
                               ("+77011234567", "8 (705) 765-43-21"), None)
    MaskPhonesFilter().filter(record)
    assert record.getMessage() == "call from +7701*****67 to 8705*****21"


def test_production_logging_uses_the_filter():
    from backend.config.settings import base

    assert "mask_phones" in base.LOGGING["handlers"]["console"]["filters"]


def test_a_message_sent_through_the_console_backend_logs_no_text_and_no_full_number(
        db, caplog, settings):
    """The whole path: an SMS to a reader written to the outbox and sent; the log says who
    (masked) and how long, never the text with the reader's name."""
    from backend.notifications.gateways.console import ConsoleGateway

    caplog.set_level(logging.INFO, logger="kniga03.messages")
    ConsoleGateway().send_sms(to="+77011234567",
                              text="Ахметова Әлия, книги привезут завтра 10:00-12:00")
    ConsoleGateway().call(to="+77011234567", text="Ахметова Әлия, сәлеметсіз бе", language="kk")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "+7701***4567" in logged
    assert "Ахметова" not in logged and "1234567" not in logged
