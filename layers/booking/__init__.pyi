# Types of the names layers/booking/__init__.py loads on first use (it imports nothing itself, so that
# ``mapping`` may import layers.booking.rules without reaching the database modules).
from layers.booking.forms import BookingRequest as BookingRequest
from layers.booking.forms import InvalidBooking as InvalidBooking
from layers.booking.forms import parse_booking as parse_booking
from layers.booking.free_times import availability as availability
from layers.booking.manage import booker_view as booker_view
from layers.booking.manage import cancel as cancel
from layers.booking.manage import confirm as confirm
from layers.booking.manage import decline as decline
from layers.booking.manage import expire_due as expire_due
from layers.booking.manage import list_bookings as list_bookings
from layers.booking.reserve import book as book
from layers.booking.reserve import manage_url as manage_url
from layers.booking.terms import resource_summary as resource_summary

__all__ = [
    "BookingRequest",
    "InvalidBooking",
    "availability",
    "book",
    "booker_view",
    "cancel",
    "confirm",
    "decline",
    "expire_due",
    "list_bookings",
    "manage_url",
    "parse_booking",
    "resource_summary",
]
