"""What trading does with the events it consumes: event type -> handler."""

from datapark_eventing.consumer import Handler
from datapark_eventing.projections import participant_subscriptions
from datapark_eventing.subscriptions import Subscriptions
from datapark_trading.contracting.handlers import subscriptions as listing_subscriptions
from datapark_trading.tables import PARTICIPANTS


def event_handlers() -> dict[str, Handler]:
    subscriptions = Subscriptions()
    subscriptions.include(participant_subscriptions(PARTICIPANTS))
    subscriptions.include(listing_subscriptions)
    return subscriptions.handlers()
