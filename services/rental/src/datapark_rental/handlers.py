"""What rental does with the events it consumes: event type -> handler."""

from datapark_eventing.consumer import Handler
from datapark_eventing.projections import participant_handlers
from datapark_rental.fleet.handlers import fleet_handlers
from datapark_rental.tables import PARTICIPANTS


def event_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    handlers.update(participant_handlers(PARTICIPANTS))
    handlers.update(fleet_handlers())
    return handlers
