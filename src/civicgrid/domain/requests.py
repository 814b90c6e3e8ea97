"""Resident requests (诉求, DOMAIN.md I1–I13, S2): what a resident asks, through which channel.

A :class:`Request` is what arrives: the channel (every intake channel of I8 — the 12345 hotline,
a grid worker's patrol, a micro-wish, a smart sensor …), the list it belongs to where a city
keeps the three lists of S2, a category, the unit it concerns (a household, a building, a grid),
the reporter (personal data, masked everywhere), the text, an urgency and attachments by
reference. Fields a source system sends that the library has no place for are kept in
``extra``, never dropped (an Open311 ``agency_responsible``, say).

The request is the *input*; handling it is a case on the kernel running one of the request
methods (53522马上办, 四单制 …). :class:`Dispatch` is what a dispatcher decides about a request
(category, level, unit, assignee), and :class:`Rating` the resident's verdict that closes a
case or reopens it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.personal import PersonName, PhoneNumber, mask_text
from civicgrid.domain.units import UnitKind
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "LEVELS",
    "LEVEL_OF_KIND",
    "Attachment",
    "Channel",
    "Dispatch",
    "Rating",
    "Request",
    "RequestList",
    "Urgency",
]


class Channel(Labelled):
    """How a request arrived (DOMAIN.md I8, plus the city's own platforms)."""

    HOTLINE_12345 = "hotline_12345"
    GRID_PATROL = "grid_patrol"
    RESIDENT_REPORT = "resident_report"
    MICRO_WISH = "micro_wish"
    DEPUTIES_STATION = "deputies_station"
    PETITION = "petition"
    CITIZEN_OBSERVER = "citizen_observer"
    SMART_SENSOR = "smart_sensor"
    BUILDING_PLATFORM = "building_platform"
    LINK_CARD = "link_card"
    MINI_PROGRAM = "mini_program"
    MEETING = "meeting"


class RequestList(Labelled):
    """The three lists (三张清单, S2) a request may be filed under."""

    SERVICE_ITEM = "service_item"
    HARDSHIP_NEED = "hardship_need"
    SUGGESTION = "suggestion"


class Urgency(Labelled):
    """How urgent the request is; methods and dispatchers may route on it."""

    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Rating(Labelled):
    """The resident's verdict (群众评单): satisfied and basically satisfied close the case."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"

    @property
    def closes(self) -> bool:
        """Whether this rating closes the case (an unsatisfied one reopens it)."""
        return self is not Rating.UNSATISFIED


_LABELS: dict[enum.StrEnum, tuple[str, str]] = {
    Channel.HOTLINE_12345: ("12345热线", "12345 hotline"),
    Channel.GRID_PATROL: ("网格员巡查", "grid-worker patrol"),
    Channel.RESIDENT_REPORT: ("居民上报", "resident report"),
    Channel.MICRO_WISH: ("微心愿", "micro-wish"),
    Channel.DEPUTIES_STATION: ("人大代表联络站", "deputies' liaison station"),
    Channel.PETITION: ("信访", "petition"),
    Channel.CITIZEN_OBSERVER: ("市民观察员", "citizen observer"),
    Channel.SMART_SENSOR: ("智能感知设备", "smart sensor"),
    Channel.BUILDING_PLATFORM: ("楼宇议事平台", "building platform"),
    Channel.LINK_CARD: ("党群连心卡", "party-mass link card"),
    Channel.MINI_PROGRAM: ("小程序", "mini-program"),
    Channel.MEETING: ("议事会", "meeting"),
    RequestList.SERVICE_ITEM: ("服务清单", "service items"),
    RequestList.HARDSHIP_NEED: ("困难需求清单", "hardship needs"),
    RequestList.SUGGESTION: ("意见建议清单", "suggestions"),
    Urgency.ROUTINE: ("一般", "routine"),
    Urgency.URGENT: ("紧急", "urgent"),
    Urgency.EMERGENCY: ("特急", "emergency"),
    Rating.SATISFIED: ("满意", "satisfied"),
    Rating.BASICALLY_SATISFIED: ("基本满意", "basically satisfied"),
    Rating.UNSATISFIED: ("不满意", "unsatisfied"),
}
register_labels(_LABELS)


LEVELS: tuple[tuple[str, str, str], ...] = (
    ("grid", "网格（楼栋、院落）", "grid (building, courtyard)"),
    ("compound", "小区（组）", "compound (group)"),
    ("community", "社区", "community"),
    ("subdistrict", "街道", "subdistrict"),
)
"""The escalation ladder of I4 as (key, Chinese, English), lowest first: 小事不出网格/楼栋/院，
中事不出组，大事不出社区，疑难问题再找街道. The built-in request methods use these keys."""

LEVEL_OF_KIND: Mapping[UnitKind, str] = MappingProxyType(
    {
        UnitKind.GRID: "grid",
        UnitKind.TOTAL_GRID: "grid",
        UnitKind.GENERAL_GRID: "grid",
        UnitKind.MICRO_GRID: "grid",
        UnitKind.DEDICATED_GRID: "grid",
        UnitKind.BUILDING: "grid",
        UnitKind.UNIT: "grid",
        UnitKind.HOUSEHOLD_GROUP: "grid",
        UnitKind.COMPOUND: "compound",
        UnitKind.COURTYARD: "grid",
        UnitKind.AREA: "compound",
        UnitKind.COMMUNITY: "community",
        UnitKind.VILLAGE: "community",
        UnitKind.SUBDISTRICT: "subdistrict",
    }
)
"""Which rung of :data:`LEVELS` a unit of each kind acts at; a seat serving a unit of that kind
lets its holder act on cases at that level (see :func:`civicgrid.actor_for`). The courtyard
(院) sits with the grid and building, as I4 words it; a city passes its own mapping."""


@attrs.frozen(kw_only=True)
class Attachment:
    """A photo, recording or document, by reference (a URL or a store key), never inline."""

    ref: str
    media_type: str = ""
    label: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        ref: object = self.ref
        if not isinstance(ref, str) or not ref.strip():
            problems.append(Problem("ref", "must be a non-blank reference (a URL or store key)"))
        problems.extend(
            Problem(field, "must be text")
            for field in ("media_type", "label")
            if not isinstance(getattr(self, field), str)
        )
        if problems:
            raise InvalidData("attachment", problems)


def _extra(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _masked_text_repr(value: object) -> str:
    """Repr of free text with quoted phone and ID numbers masked (residents quote them)."""
    return repr(mask_text(value)) if isinstance(value, str) else repr(value)


def _masked_extra_repr(value: Mapping[str, object]) -> str:
    """Repr of ``extra`` with numbers in its values masked: source fields may quote them."""
    return repr({key: mask_text(v) if isinstance(v, str) else v for key, v in value.items()})


def _attachments(value: tuple[Attachment, ...] | list[Attachment]) -> tuple[Attachment, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Request:
    """One resident request as it arrives, before any method handles it.

    ``unit`` is the id of the unit it concerns (household, building, grid …) in the district's
    tree, ``None`` when the location is not yet known (a hotline call to be placed by
    dispatch). ``reporter`` is a person id when the reporter is on a roster;
    ``reporter_name`` and ``reporter_phone`` are personal data, masked in every textual form
    and in default exports. ``extra`` keeps any field a source system sent that has no place
    here, as text.
    """

    id: str
    channel: Channel
    text: str = attrs.field(repr=_masked_text_repr)
    """Free text; its ``repr`` masks the phone and ID numbers it quotes (:func:`mask_text`)."""
    submitted_at: datetime
    category: str | None = None
    unit: str | None = None
    urgency: Urgency = Urgency.ROUTINE
    request_list: RequestList | None = None
    reporter: str | None = None
    reporter_name: PersonName | None = None
    reporter_phone: PhoneNumber | None = None
    attachments: tuple[Attachment, ...] = attrs.field(default=(), converter=_attachments)
    longitude: float | None = None
    latitude: float | None = None
    extra: Mapping[str, str] = attrs.field(factory=dict, converter=_extra, repr=_masked_extra_repr)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        request_id: object = self.id
        if not isinstance(request_id, str) or not request_id:
            problems.append(Problem("id", "must be a non-empty string"))
        for field, kind in (("channel", Channel), ("urgency", Urgency)):
            value: object = getattr(self, field)
            if not isinstance(value, kind):
                problems.append(Problem(field, f"must be a {kind.__name__}, not {value!r}"))
        listed: object = self.request_list
        if listed is not None and not isinstance(listed, RequestList):
            problems.append(
                Problem("request_list", f"must be a RequestList or None, not {listed!r}")
            )
        text: object = self.text
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem("text", "must be non-blank text"))
        at: object = self.submitted_at
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            problems.append(Problem("submitted_at", "must be a timezone-aware datetime"))
        for field in ("category", "unit", "reporter"):
            value = getattr(self, field)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append(Problem(field, "must be a non-empty string or None"))
        if self.longitude is not None and not (-180 <= self.longitude <= 180):
            problems.append(Problem("longitude", f"must lie in [-180, 180], not {self.longitude}"))
        if self.latitude is not None and not (-90 <= self.latitude <= 90):
            problems.append(Problem("latitude", f"must lie in [-90, 90], not {self.latitude}"))
        if (self.longitude is None) != (self.latitude is None):
            problems.append(Problem("latitude", "longitude and latitude go together"))
        name: object = self.reporter_name
        if name is not None and not isinstance(name, PersonName):
            problems.append(Problem("reporter_name", "must be a PersonName or None"))
        phone: object = self.reporter_phone
        if phone is not None and not isinstance(phone, PhoneNumber):
            problems.append(Problem("reporter_phone", "must be a PhoneNumber or None"))
        attachments: tuple[object, ...] = self.attachments
        problems.extend(
            Problem(f"attachments[{i}]", "must be an Attachment")
            for i, item in enumerate(attachments)
            if not isinstance(item, Attachment)
        )
        pairs: list[tuple[object, object]] = list(self.extra.items())
        problems.extend(
            Problem(f"extra.{key}", "keys and values must be text")
            for key, value in pairs
            if not isinstance(key, str) or not isinstance(value, str)
        )
        if problems:
            raise InvalidData(f"request {self.id!r}", problems)


@attrs.frozen(kw_only=True)
class Dispatch:
    """A dispatcher's decision about a request: where it goes and who handles it.

    ``level`` is a rung of the method's escalation ladder (``grid``, ``compound``,
    ``community``, ``subdistrict``); ``unit`` and ``assignee`` where the dispatcher knows them.
    ``automatic`` is false when the dispatcher could only make a guess a person must confirm
    (the automatic-dispatch rate counts the true ones). ``rule`` says why, for the ledger.
    """

    category: str
    level: str
    unit: str | None = None
    assignee: str | None = None
    automatic: bool = True
    confidence: float = 1.0
    rule: str = ""
    urgency: Urgency | None = None
    """The urgency the dispatcher found (a gas leak is an emergency), when it raises the
    request's own; ``None`` keeps the request's."""
    dispatcher: str = attrs.field(default="", eq=False)
    """The plugin whose dispatcher answered; set by the registry."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("category", "level"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        for field in ("unit", "assignee"):
            value = getattr(self, field)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append(Problem(field, "must be a non-empty string or None"))
        urgency: object = self.urgency
        if urgency is not None and not isinstance(urgency, Urgency):
            problems.append(Problem("urgency", f"must be an Urgency or None, not {urgency!r}"))
        automatic: object = self.automatic
        if not isinstance(automatic, bool):
            problems.append(Problem("automatic", "must be true or false"))
        confidence: object = self.confidence
        if (
            not isinstance(confidence, int | float)
            or isinstance(confidence, bool)
            or not 0 <= confidence <= 1
        ):
            problems.append(Problem("confidence", f"must lie in [0, 1], not {confidence!r}"))
        if problems:
            raise InvalidData("dispatch", problems)
