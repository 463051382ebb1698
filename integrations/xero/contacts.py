"""Which Xero contact is the customer's, and what to call a new one: contact names are unique among active contacts
("The contact name ... is already assigned to another contact. The contact name must be unique across all active
contacts", Pinelab-studio/pinelab-vendure-plugins#505), so a second "John Smith" needs a distinguishing name.
Shared by the adapter and the fake so both keep the same contract."""

from __future__ import annotations

from integrations.ports import ContactDraft


def same_customer(*, email: str, number: str, draft: ContactDraft, by_name: bool) -> bool:
    """A contact found by contact number or e-mail is the customer; one found only by name is, unless its e-mail
    or contact number says it is someone else."""
    if not by_name:
        return True
    if draft.email and email and email.lower() != draft.email.lower():
        return False
    return not (draft.contact_number and number and number != draft.contact_number)


def distinguishing_names(draft: ContactDraft) -> list[str]:
    """The name; then with the customer's own e-mail or contact number in brackets; then numbered."""
    name = draft.name.strip()
    out = [name] + [f"{name} ({mark})" for mark in (draft.email, draft.contact_number) if mark]
    out += [f"{out[-1]} {n}" for n in range(2, 10)]
    return out


def renamed_note(wanted: str, given: str) -> str:
    return f"the name {wanted!r} belongs to another contact in Xero, so this one was created as {given!r}"
