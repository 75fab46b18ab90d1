"""The SQLAlchemy 2 models, all on one ``Base.metadata`` (what Alembic compares migrations against).

``base`` holds the declarative base and helpers; ``records`` the places and what describes them (areas,
indicators, hubs, spaces, groups, postcodes, submissions); ``booking`` rooms, bookable resources, bookings and the outbox; ``people`` named contacts, emailed links, organisers' edits, reminders and introductions; ``access`` who may do what (users, tokens,
sessions, the audit log, record versions, partners). Geometry is EPSG:4326 with a GiST index; enumerated
text columns carry CHECK constraints built from ``layers.taxonomy``. Import models from here.
"""

from layers.models.access import (
    ApiToken,
    AuditEntry,
    LoginAttempt,
    Partner,
    RecordVersion,
    User,
    UserDistrict,
    WebSession,
)
from layers.models.analysis import AnalysisAssetChange, AnalysisChange, MappedArea
from layers.models.base import Base, Timestamped, table_of
from layers.models.booking import (
    Booking,
    BookingContact,
    BookingSlot,
    OutboxMessage,
    Resource,
    ResourceClosure,
    Room,
)
from layers.models.people import (
    AreaContact,
    FreshnessReminder,
    Introduction,
    LinkToken,
    ListingChange,
    SubmissionReply,
)
from layers.models.records import (
    Area,
    AreaPiece,
    AreaShare,
    Group,
    GroupArea,
    HoursParsed,
    Hub,
    IdempotencyKey,
    Indicator,
    LocalityMember,
    Postcode,
    Space,
    Submission,
)

__all__ = [
    "AnalysisAssetChange",
    "AnalysisChange",
    "ApiToken",
    "Area",
    "AreaContact",
    "AreaPiece",
    "AreaShare",
    "AuditEntry",
    "Base",
    "Booking",
    "BookingContact",
    "BookingSlot",
    "FreshnessReminder",
    "Group",
    "GroupArea",
    "HoursParsed",
    "Hub",
    "IdempotencyKey",
    "Indicator",
    "Introduction",
    "LinkToken",
    "ListingChange",
    "LocalityMember",
    "LoginAttempt",
    "MappedArea",
    "OutboxMessage",
    "Partner",
    "Postcode",
    "RecordVersion",
    "Resource",
    "ResourceClosure",
    "Room",
    "Space",
    "Submission",
    "SubmissionReply",
    "Timestamped",
    "User",
    "UserDistrict",
    "WebSession",
    "table_of",
]
