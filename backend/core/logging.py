"""No personal data in logs: phone numbers are masked in every log line."""
import logging
import re

# +7 701 123 45 67, 8 (701) 123-45-67, 87011234567, +77011234567 ...
PHONE = re.compile(
    r"(?<![\d+])(\+?\d)[\s\-(]*(\d{3})[\s\-)]*(\d{3})[\s\-]*(\d{2})[\s\-]*(\d{2})(?!\d)"
)


def mask_phones(text: str) -> str:
    """Keep the country code, the operator code and the last two digits."""
    return PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}*****{m.group(5)}", text)


class MaskPhonesFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True
