"""What trading does with the events it consumes: event type -> handler."""

from datapark_eventing.consumer import Handler
from datapark_eventing.projections import participant_handlers
from datapark_trading.contracting.handlers import subscriptions as listing_subscriptions
from datapark_trading.tables import PARTICIPANTS


def event_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    handlers.update(participant_handlers(PARTICIPANTS))
    handlers.update(listing_subscriptions.handlers())
    return handlers
