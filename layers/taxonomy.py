"""Controlled vocabularies: group categories, communities served, hub and space kinds.

Documented for people in ``docs/taxonomy.md``; ``tests/layers/test_taxonomy.py`` keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: What a group does. A group may have several.
GROUP_CATEGORIES: Final[dict[str, str]] = {
    "advice-support": "Advice, advocacy and practical support (benefits, debt, legal, form filling)",
    "arts-culture": "Arts, crafts, culture, music, drama and creative activities",
    "children-families": "Children, parents, carers of children and family activities",
    "community-neighbourhood": "Residents' and neighbourhood associations, community events and action",
    "disability": "Run by or for disabled people",
    "carers": "Support for unpaid carers",
    "education-skills": "Learning, skills, languages, digital skills and employment support",
    "environment": "Green spaces, gardening, conservation, litter picks, climate action",
    "faith": "Faith groups and their community activities",
    "food": "Food banks, community fridges, lunch clubs, cooking",
    "health-wellbeing": "Physical and mental health, wellbeing, peer support",
    "heritage-history": "Local history, heritage and museums",
    "housing-homelessness": "Housing, homelessness and tenants' groups",
    "mutual-aid": "Mutual aid: neighbours helping neighbours",
    "older-people": "Run by or for older people",
    "sport-activity": "Sport, exercise, walking and active leisure",
    "volunteering": "Volunteer centres and time banks",
    "youth": "Young people (11 to 25): youth clubs, uniformed groups, youth voice",
}

#: Communities of identity a group serves (communities of place are the areas it serves).
COMMUNITIES_OF_IDENTITY: Final[dict[str, str]] = {
    "older-people": "Older people",
    "young-people": "Young people",
    "children": "Children",
    "families": "Families",
    "women": "Women",
    "men": "Men",
    "lgbtq": "LGBTQ+ people",
    "disabled-people": "Disabled people",
    "carers": "Carers",
    "ethnic-minorities": "People from ethnic minority communities",
    "refugees-migrants": "Refugees, asylum seekers and migrants",
    "faith-communities": "Faith communities",
    "veterans": "Armed forces veterans",
}

#: Communities of interest a group serves.
COMMUNITIES_OF_INTEREST: Final[dict[str, str]] = {
    "arts": "Arts and crafts",
    "music": "Music",
    "gardening": "Gardening and growing",
    "sport": "Sport and exercise",
    "walking": "Walking",
    "reading": "Reading and books",
    "history": "History and heritage",
    "nature": "Nature and wildlife",
    "food": "Food and cooking",
    "digital": "Computers and digital skills",
    "languages": "Languages and conversation",
    "games": "Games and puzzles",
}

HUB_KINDS: Final[dict[str, str]] = {
    "community_centre": "Community centre",
    "library": "Library",
    "village_hall": "Village or church hall",
    "school": "School",
    "sports_centre": "Sports centre",
    "place_of_worship": "Place of worship",
    "other": "Other community building",
}

SPACE_KINDS: Final[dict[str, str]] = {
    "vacant_shop": "Vacant shop",
    "room": "Room for hire",
    "hall": "Hall",
    "office": "Office",
    "outdoor": "Outdoor space",
}

AREA_KINDS: Final[tuple[str, ...]] = ("ward", "district", "lsoa", "county", "locality")
COST_BANDS: Final[tuple[str, ...]] = ("free", "low-cost", "paid")
PRICE_BANDS: Final[tuple[str, ...]] = ("free", "low-cost", "market")
GROUP_STATUSES: Final[tuple[str, ...]] = ("active", "dormant", "closed")
SPACE_STATUSES: Final[tuple[str, ...]] = ("available", "under_offer", "let", "unavailable")
OPERATOR_TYPES: Final[tuple[str, ...]] = ("council", "partner", "community", "private", "unknown")
WEEKDAYS: Final[tuple[str, ...]] = ("mo", "tu", "we", "th", "fr", "sa", "su")
FREQUENCIES: Final[tuple[str, ...]] = ("weekly", "fortnightly", "monthly", "occasional", "daily")
LOCATION_PRECISIONS: Final[tuple[str, ...]] = ("venue", "hub", "area")


# The indicators Patchmap knows by name: the English Indices of Deprivation 2019 (IoD2019), by the files
# MHCLG publishes them in. Importers read the files; analysis and the API name the measures.


@dataclass(frozen=True)
class Measure:
    """One column of an IoD2019 file: the indicator key it becomes, its header pattern and its check."""

    key: str
    label: str
    pattern: str
    check: str  # "rank", "decile" or "count"


@dataclass(frozen=True)
class FileKind:
    """One of the IoD2019 files this importer knows, by the measures its columns hold."""

    name: str
    source: str
    period: str
    measures: tuple[Measure, ...]


DOMAINS = (  # key prefix, header as published, pattern for the header (normalised: lower case, no suffix)
    ("imd", "Index of Multiple Deprivation (IMD)", r"index of multiple deprivation(?: \(imd\))?"),
    ("income", "Income", r"income"),
    ("employment", "Employment", r"employment"),
    ("education", "Education, Skills and Training", r"education,? skills,? and training"),
    ("health", "Health Deprivation and Disability", r"health deprivation and disability"),
    ("crime", "Crime", r"crime"),
    ("housing", "Barriers to Housing and Services", r"barriers to housing and services"),
    ("living_environment", "Living Environment", r"living environment"),
)


def _ranked(domains: tuple[tuple[str, str, str], ...]) -> tuple[Measure, ...]:
    return tuple(
        Measure(f"{key}_{m}", f"{label} {m.title()}", rf"{pattern} {m}", m)
        for key, label, pattern in domains
        for m in ("rank", "decile")
    )


def _population(key: str, label: str, pattern: str) -> Measure:
    return Measure(key, label, pattern, "count")


FILE_KINDS = (
    FileKind("File 1", "IoD2019 File 1 (MHCLG, OGL v3)", "2019", _ranked(DOMAINS[:1])),
    FileKind("File 2", "IoD2019 File 2 (MHCLG, OGL v3)", "2019", _ranked(DOMAINS)),
    FileKind(
        "File 6",
        "IoD2019 File 6 (MHCLG, OGL v3)",
        "mid-2015",
        (
            _population("population_total", "Total population: mid 2015", r"total population\b.*"),
            _population("population_0_15", "Dependent Children aged 0-15: mid 2015", r".*\baged 0-15\b.*"),
            _population("population_16_59", "Population aged 16-59: mid 2015", r".*\baged 16-59\b.*"),
            _population(
                "population_60_plus",
                "Older population aged 60 and over: mid 2015",
                r".*\baged 60 and over\b.*",
            ),
            _population(
                "population_working_age", "Working age population 18-59/64", r"working age population\b.*"
            ),
        ),
    ),
)
SUM_KEYS = tuple(m.key for m in FILE_KINDS[2].measures)
MEAN_KEYS = tuple(m.key for m in FILE_KINDS[1].measures)
BUILTIN_KEYS = frozenset(m.key for kind in FILE_KINDS for m in kind.measures)
