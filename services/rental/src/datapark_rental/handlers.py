"""What rental does with the events it consumes: event type -> handler."""

from datapark_eventing.consumer import Handler
from datapark_eventing.projections import participant_subscriptions
from datapark_eventing.subscriptions import Subscriptions
from datapark_rental.bookings.handlers import subscriptions as booking_subscriptions
from datapark_rental.fleet.handlers import subscriptions as fleet_subscriptions
from datapark_rental.tables import PARTICIPANTS


def event_handlers() -> dict[str, Handler]:
    subscriptions = Subscriptions()
    subscriptions.include(participant_subscriptions(PARTICIPANTS))
    subscriptions.include(fleet_subscriptions.handlers())
    subscriptions.include(booking_subscriptions.handlers())
    return subscriptions.handlers()
