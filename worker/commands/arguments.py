"""Argument types and the parser every command uses: a value the worker cannot take is refused at the command
line with one line naming the argument, never later as a traceback from the database or the outbox."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from datetime import date
from typing import NoReturn

# The largest id either database stores (a signed 64-bit integer); a bigger number can name no row.
LARGEST_ID = 2**63 - 1


class InputRefused(ValueError):
    """A typed value the worker will not take (found after parsing, e.g. by looking it up); the message is for the
    person who typed it, and the command exits 2 with nothing queued."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (which argument, what is wrong, where the help is)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def record_id(value: str) -> int:
    """A row number, as printed by the list commands."""
    try:
        number = int(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 1 <= number <= LARGEST_ID:
        raise argparse.ArgumentTypeError(f"{value} is not an id (ids are 1 to {LARGEST_ID})")
    return number


def bounded_count(maximum: int, *, minimum: int = 1) -> Callable[[str], int]:
    """A whole number from `minimum` to `maximum` (how many to show, a port, a term)."""

    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(f"{value} is out of range ({minimum} to {maximum})")
        return number

    parse.__name__ = "count"
    return parse


def iso_date(value: str) -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-31") from None


def domain_name(value: str) -> str:
    """A domain name, in the IDNA (ASCII) form that is stored and sent: `münchen.de` becomes xn--mnchen-3ya.de."""
    from worker.domain_names import BadDomainName, parse_domain_name

    try:
        return parse_domain_name(value).ascii
    except BadDomainName as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def xero_contact_id(value: str) -> str:
    """A Xero ContactID as typed: Xero's ids are GUIDs. `InputRefused` says what one looks like."""
    typed = value.strip()
    try:
        uuid.UUID(typed)
    except ValueError:
        raise InputRefused(
            f"{typed!r} is not a Xero ContactID (a GUID such as 8138a266-fb42-49b2-a104-014b7045753d; Xero shows it "
            "in the contact's web address)"
        ) from None
    return typed.lower()


def contact_id(value: str) -> str:
    """A Xero ContactID as typed (a GUID); whether Xero holds it is checked before anything is queued."""
    try:
        return xero_contact_id(value)
    except InputRefused as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seconds(value: str) -> float:
    """A positive number of seconds, at most a day."""
    try:
        number = float(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < number <= 86400:
        raise argparse.ArgumentTypeError(f"{value} is out of range (more than 0, at most 86400 seconds)")
    return number
