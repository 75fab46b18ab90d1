"""Settings, one small class per concern, read from the environment (prefix ``PATCHMAP_``).

Settings are built by ``api.main.create_app`` and by the CLI, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; contains public sector information "
    "licensed under the Open Government Licence v3.0; map data © OpenStreetMap contributors (ODbL)"
)


class DatabaseSettings(BaseSettings):
    """Where the PostGIS database is and how many connections the app may hold."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    url: str = Field(
        default="postgresql://postgres@localhost/patchmap",
        validation_alias=AliasChoices("DATABASE_URL", "PATCHMAP_DATABASE_URL"),
        description="libpq URL of a PostgreSQL database with PostGIS (DATABASE_URL)",
    )
    pool_min: int = Field(default=2, ge=1, description="connections the API keeps open")
    pool_max: int = Field(default=10, ge=1, description="most connections the API opens")
    statement_timeout_ms: int = Field(default=15000, ge=0, description="API query time limit (ms)")
    pool_timeout_s: float = Field(
        default=0.5,
        gt=0,
        description="how long a request waits for a free connection before answering 503 (seconds)",
    )
    connect_timeout_s: int = Field(
        default=2, ge=2, description="how long opening a connection may take (seconds; libpq's minimum is 2)"
    )
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After of a 503 while the database is away")

    def session_options(self, *, time_limit: bool) -> str:
        """libpq ``options`` a connection opens with: durable commits, and the API's statement time limit.

        ``synchronous_commit=on`` is asked for even when the server's default is off, so an acknowledged
        write is on disk whatever the cluster's configuration (a 2xx means it is kept). Imports and
        migrations run without the time limit (a national import has statements longer than a request's).
        """
        options = "-c synchronous_commit=on"
        if time_limit:
            options += f" -c statement_timeout={int(self.statement_timeout_ms)}"
        return options

    @property
    def sqlalchemy_url(self) -> str:
        """The same URL for SQLAlchemy with the psycopg 3 driver."""
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if self.url.startswith(prefix):
                return "postgresql+psycopg://" + self.url[len(prefix) :]
        return self.url


class MapSettings(BaseSettings):
    """The base map and what the pages say about their data."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="XYZ tile URL template of the base map; empty for no base map",
    )
    tile_attribution: str = Field(
        default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        description="attribution of the base map tiles (HTML, set by the operator, not by users)",
    )
    data_attribution: str = Field(default=DATA_ATTRIBUTION, description="attribution of the data shown")
    map_centre_lon: float = Field(
        default=1.2930, ge=-180, le=180,
        description="initial map centre, longitude; used only when set (else the home district's centre)",
    )  # fmt: skip
    map_centre_lat: float = Field(
        default=52.6309, ge=-90, le=90,
        description="initial map centre, latitude; used only when set (else the home district's centre)",
    )  # fmt: skip
    map_zoom: int = Field(
        default=12,
        ge=1,
        le=19,
        description="initial map zoom; used only when set (else fits the home district)",
    )
    vector_tile_cache_mb: int = Field(
        default=64, ge=0, le=4096,
        description="memory each worker keeps made vector tiles in (megabytes; 0: make every tile afresh)",
    )  # fmt: skip
    default_district: str | None = Field(
        default=None,
        description="the district the officers' map opens on (default: the first mapped, else the one with most "
        "assets; layers.areas.defaults)",
    )


class GeoSettings(BaseSettings):
    """How geometry is prepared and measured."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    metric_srid: int = Field(default=27700, description="projected CRS for metres (British National Grid)")
    subdivide_max_vertices: int = Field(
        default=128, ge=8, description="ST_Subdivide vertex limit for the lookup index"
    )
    max_area_vertices: int = Field(
        default=250_000, ge=100, description="most vertices one imported area may have (more is refused)"
    )
    max_unzipped_bytes: int = Field(
        default=2 * 1024**3, ge=1024, description="most bytes an imported zip file may hold unzipped"
    )


class ServerSettings(BaseSettings):
    """How ``patchmap serve`` listens."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "PATCHMAP_PORT"))
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="largest request body accepted (bytes); larger gets 413"
    )


class SubmissionSettings(BaseSettings):
    """Residents' offers: the rate limit, the largest body accepted and the key that hashes addresses."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    submission_secret: SecretStr | None = Field(
        default=None,
        description="server secret keying the HMAC of client addresses; unset: a random one per process",
    )
    submission_limit: int = Field(default=5, ge=1, description="most submissions per client per window")
    submission_window_minutes: int = Field(default=60, ge=1, description="the rate limit's window (minutes)")
    submission_max_bytes: int = Field(
        default=65536, ge=1024, description="largest request body a submission may have (bytes)"
    )


class AccessSettings(BaseSettings):
    """Sign-in, sessions, tokens, and how long things are kept."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    session_hours: int = Field(default=12, ge=1, description="a browser sign-in lasts this long")
    token_days: int = Field(default=90, ge=1, description="default lifetime of an API token")
    login_attempts: int = Field(default=5, ge=1, description="failed sign-ins allowed per email and client")
    login_window_minutes: int = Field(default=15, ge=1, description="the window those failures count in")
    secure_cookies: bool = Field(default=True, description="send the session cookie over HTTPS only")
    stale_after_days: int = Field(default=365, ge=1, description="a record unconfirmed this long is stale")
    retention_days: int = Field(
        default=365,
        ge=1,
        description="personal details of rejected or withdrawn submissions are erased after",
    )


class BookingSettings(BaseSettings):
    """Booking rooms and spaces: how long a request holds its times, the series cap and the rate limit."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    booking_hold_hours: int = Field(
        default=72, ge=1, le=720, description="a request holds its times this long unless the manager answers"
    )
    booking_series_cap: int = Field(default=52, ge=1, le=52, description="most weeks in a regular booking")
    booking_limit: int = Field(default=10, ge=1, description="most bookings per client per window")
    booking_window_minutes: int = Field(default=60, ge=1, description="the booking rate limit's window")
    booking_link_days: int = Field(
        default=30, ge=1, description="a manage link works until this many days after the booking's last time"
    )
    booking_expiry_interval_s: float = Field(
        default=60.0, gt=0, description="how often the app expires unanswered requests (seconds)"
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the address residents reach Patchmap at, for links in messages",
    )


class MailSettings(BaseSettings):
    """Sending messages (email over SMTP). With no host, messages stay in the outbox and the patch page shows them."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    smtp_host: str | None = Field(default=None, description="SMTP server; unset: messages are kept, not sent")
    smtp_port: int = Field(
        default=25, ge=1, le=65535, description="SMTP port (587 with STARTTLS, 465 with TLS)"
    )
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="none", description="how to secure the connection"
    )
    smtp_user: str | None = Field(default=None, description="SMTP user name, if the server asks for one")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    mail_from: str = Field(default="Patchmap <no-reply@patchmap.invalid>", description="the From address")
    mail_interval_s: float = Field(default=5.0, gt=0, description="how often the sender looks for messages")
    mail_max_attempts: int = Field(default=8, ge=1, description="attempts before a message is marked failed")
    mail_timeout_s: float = Field(default=10.0, gt=0, description="SMTP connection time limit (seconds)")


class PeopleSettings(BaseSettings):
    """Emailed links, organisers' edits and freshness reminders."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    sign_in_link_hours: int = Field(
        default=24,
        ge=1,
        le=168,
        description="an organiser's or new user's emailed sign-in link works this long",
    )
    organiser_session_hours: int = Field(
        default=2, ge=1, le=24, description="an organiser signed in from a link may edit for this long"
    )
    offer_link_days: int = Field(
        default=90, ge=1, description="the links in a resident's messages about their offer work this long"
    )
    freshness_warning_days: int = Field(
        default=30,
        ge=1,
        description="the first 'is this still right?' email goes this many days before a listing turns stale",
    )
    freshness_gap_days: int = Field(
        default=14,
        ge=1,
        description="days from the first reminder to the second, and from the second to flagging it stale",
    )
    freshness_interval_s: float = Field(
        default=3600.0, gt=0, description="how often the app looks for listings to remind (seconds)"
    )
    status_lookup_limit: int = Field(
        default=10, ge=1, description="a resident's offer status lookups allowed per client in the window"
    )
    status_lookup_window_minutes: int = Field(
        default=15, ge=1, le=1440, description="the window of status_lookup_limit (minutes)"
    )


class Settings(BaseSettings):
    """All of Patchmap's settings."""

    model_config = SettingsConfigDict(env_prefix="PATCHMAP_", extra="ignore", populate_by_name=True)

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    geo: GeoSettings = Field(default_factory=GeoSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    submissions: SubmissionSettings = Field(default_factory=SubmissionSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    booking: BookingSettings = Field(default_factory=BookingSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    people: PeopleSettings = Field(default_factory=PeopleSettings)


def default_data_dir() -> Path:
    """The ``data/`` folder of the checkout, holding the demo data and its attribution."""
    return Path(__file__).resolve().parent.parent / "data"
