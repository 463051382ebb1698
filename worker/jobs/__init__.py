"""The jobs, by name, in the order one cycle runs them: gather, decide, apply, then housekeeping."""

from __future__ import annotations

from worker.jobs.runner import Job

CYCLE_ORDER: tuple[str, ...] = (
    "sync_xero",
    "poll_inbox",
    "match_receipts",
    "match_payouts",
    "dispatch_outbox",
    "raise_renewals",
    "sync_registrar",
    "sync_provider_bills",
    "check_registrar_balance",
)


def registry() -> dict[str, Job]:
    """Name -> job function; imported here, on call, so importing the package builds nothing."""
    from worker.balance import check_registrar_balance
    from worker.jobs.dispatch import dispatch_outbox
    from worker.jobs.inbox import poll_inbox, watch_inbox
    from worker.jobs.match import match_receipts
    from worker.jobs.payouts import match_payouts
    from worker.jobs.provider_bills import sync_provider_bills
    from worker.jobs.renewals import raise_renewals, sync_registrar
    from worker.jobs.xero_sync import sync_xero

    return {
        "sync_xero": sync_xero,
        "poll_inbox": poll_inbox,
        "watch_inbox": watch_inbox,
        "match_receipts": match_receipts,
        "match_payouts": match_payouts,
        "dispatch_outbox": dispatch_outbox,
        "raise_renewals": raise_renewals,
        "sync_registrar": sync_registrar,
        "sync_provider_bills": sync_provider_bills,
        "check_registrar_balance": check_registrar_balance,
    }
