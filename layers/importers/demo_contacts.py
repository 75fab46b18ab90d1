"""Sample named council contacts for the demo: Norwich (E07000148) and its localities.

Made up, and labelled so wherever they are shown: each role name ends "(sample)", the email addresses are at
example.org (a domain reserved for examples) and the phone numbers are in Ofcom's range for drama
(01632 960000 to 960999), which is never given to anyone. A contact a co-ordinator has already set is left
as it is, so a second run changes nothing.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, text

from layers.importers.report import ImportReport, NoProgress, Progress

WHAT = "Sample council contacts"
NORWICH: Final = "E07000148"
HOURS: Final = "Monday to Friday, 9am to 5pm (sample)"
#: (area code, role, email, phone): the district's and each demo locality's (data/sample/norwich_localities.csv).
CONTACTS: Final = (
    (NORWICH, "Community Connector for Norwich (sample)", "community.connector@norwich.example.org", "01632 960001"),
    ("SAMPLE-NOR-NORTH", "Community Connector for North Norwich (sample)", "north.connector@norwich.example.org",
     "01632 960002"),
    ("SAMPLE-NOR-CENTRE", "Community Connector for the City centre (sample)",
     "centre.connector@norwich.example.org", "01632 960003"),
)  # fmt: skip


def add_sample_contacts(conn: Connection, *, progress: Progress | None = None) -> ImportReport:
    """The demo's sample contacts for Norwich and its localities (only areas that exist; never over one set)."""
    progress = progress or NoProgress()
    report = ImportReport(what=WHAT, source="made up for the demo (sample)")
    progress.start("Adding sample council contacts", len(CONTACTS))
    with conn.begin_nested():
        for code, role, email, phone in CONTACTS:
            report.rows += 1
            added = conn.execute(
                text(
                    "INSERT INTO area_contacts (area_code, role_name, email, phone, office_hours) "
                    "SELECT a.code, :role, :email, :phone, :hours FROM areas a "
                    "WHERE a.code = :code AND a.kind IN ('district', 'locality') "
                    "ON CONFLICT (area_code) DO NOTHING"
                ),
                {"code": code, "role": role, "email": email, "phone": phone, "hours": HOURS},
            ).rowcount
            if added:
                report.loaded += 1
            else:
                report.unchanged += 1
            progress.advance()
    report.notes.append(
        f"{report.loaded} contacts added, {report.unchanged} kept or without their area; all sample"
    )
    return report
