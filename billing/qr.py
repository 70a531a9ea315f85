"""The QR reference of a Swiss QR-bill: 27 digits, the last one a check digit modulo 10, recursive.

The check digit is the one of the Swiss payment standards (formerly ESR/BVR): a carry runs through
the table below for each digit; the check digit is what brings the carry back to 0. Spaces are only
a printing aid (groups of five from the right) and are removed before checking.
"""

import re

LENGTH = 27
_TABLE = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)
_DIGITS = re.compile(r"^[0-9]+$")


def check_digit(digits: str) -> int:
    """The modulo 10 recursive check digit of a string of decimal digits."""
    carry = 0
    for digit in digits:
        carry = _TABLE[(carry + int(digit)) % 10]
    return (10 - carry) % 10


def normalize(reference: str) -> str:
    return reference.replace(" ", "")


def is_valid(reference: str) -> bool:
    """27 digits (spaces ignored) whose last one is the check digit of the first 26."""
    digits = normalize(reference)
    if len(digits) != LENGTH or not _DIGITS.match(digits):
        return False
    return check_digit(digits[:-1]) == int(digits[-1])


def with_check_digit(digits: str) -> str:
    """26 digits completed into a QR reference (for tests and demo data)."""
    return f"{digits}{check_digit(digits)}"
