"""What subsidy does with the events it consumes: event type -> handler."""

from __future__ import annotations

from datapark_eventing.consumer import Handler
from datapark_subsidy.leases.handlers import lease_subscriptions
from datapark_subsidy.terms.parameters import ParameterSet


def event_handlers(params: ParameterSet) -> dict[str, Handler]:
    """The lease subscriptions, the participant projection among them (a participant's arrival
    opens the claims of its leases that waited for it)."""
    return lease_subscriptions(params).handlers()
