"""Personal data: no log line, repr, error, default export or report shows a number.

Known numbers are seeded into everything that carries personal data: a resident (name, mobile,
ID number), a request (reporter, phone, and both numbers quoted in its free text and in a kept
source field), the feedback given on its case, a district document and a run's store. Then
every place text leaves the library is scanned for the raw numbers (the mobile, the first 17
characters of the ID number, the birth date it holds), also with spaces and dashes taken out:

* ``repr``, ``str`` and f-strings of every entity;
* the messages of the errors raised for bad input that includes the numbers (malformed values
  in personal fields, and numbers that landed in the wrong field, as a shifted CSV column
  does), the errors they were raised from included;
* every default export: the converter without ``reveal_personal``, district documents, Open311
  records, the problem ledger as CSV and JSON;
* the HTML report and the command line (``grid check``, ``requests dispatch-eval``,
  ``report``), standard output and standard error;
* every log record emitted meanwhile, at DEBUG, on every logger.

The numbers do appear where disclosure is asked for by name (``reveal_personal=True``,
``reveal()``): :func:`test_the_numbers_are_there_when_revealed` shows the scan would see them.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from civicgrid import Actor, Engine, ManualClock, Registry
from civicgrid.cli import main
from civicgrid.domain.command import CommandLevel, CommandPost
from civicgrid.domain.people import Appointment, Person, Roster
from civicgrid.domain.personal import IdNumber, PersonName, PhoneNumber, id_check_digit
from civicgrid.domain.requests import Channel, Request
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import UnitKind, UnitTree
from civicgrid.errors import CivicGridError
from civicgrid.interchange.documents import District, document_from_data, dump_document
from civicgrid.interchange.ledger import ledger_json, ledger_rows, write_ledger_csv
from civicgrid.interchange.open311 import requests_from_open311, requests_to_open311
from civicgrid.report.html import write_report
from civicgrid.serialization import make_converter, structure
from civicgrid.store import SQLiteStore, case_stream, encode_events
from civicgrid.testing import chenghua_units
from civicgrid.workflows.dispatch_eval import load_labelled_requests
from civicgrid.workflows.event import Event
from civicgrid.workflows.intake import RequestDesk
from hardening_support import Tally

PHONE = "13800138000"
ID17 = "11010119900307457"
ID_NUMBER = ID17 + id_check_digit(ID17)
NAME = "欧阳锋"
NEEDLES = (PHONE, ID17, "19900307", "1990-03-07")
"""What must never show: the mobile, the ID number (its 17 digits) and the birth date in it."""
_SEPARATORS = re.compile(r"[\s\-]+")

AT = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
RESIDENT = Actor(id="resident-1", roles={"resident"})
WORKER = Actor(id="worker-1", roles={"grid_worker"}, levels={"grid"})
QUOTED = f"楼道灯坏了，请回电 {PHONE}，身份证 {ID_NUMBER}"
"""A request text quoting both numbers, as residents' requests do."""


def leaks(text: str) -> list[str]:
    """The needles found in ``text``, as written or with spaces and dashes taken out."""
    squeezed = _SEPARATORS.sub("", text)
    return [n for n in NEEDLES if n in text or n.replace("-", "") in squeezed]


def scan(tally: Tally, surface: str, texts: list[str]) -> None:
    """Assert no text of ``surface`` holds a needle; count the texts scanned."""
    found = [(i, leaks(t), t[:200]) for i, t in enumerate(texts) if leaks(t)]
    tally.add("personal data", surface, "scanned", len(texts))
    if found:
        tally.add("personal data", surface, "leaked", len(found))
    assert not found, f"{surface}: unmasked personal data in {found}"


# --------------------------------------------------------------------------- seeded entities


def person() -> Person:
    """A resident with every personal field set."""
    return Person(
        id="resident-1",
        name=PersonName(NAME),
        phone=PhoneNumber(f"+86 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}"),
        id_number=IdNumber(ID_NUMBER.lower()),
        home="hh-1",
    )


def request(request_id: str = "r-1", unit: str | None = None) -> Request:
    """A request whose reporter, text and kept source field all carry the numbers."""
    return Request(
        id=request_id,
        channel=Channel.HOTLINE_12345,
        text=QUOTED,
        submitted_at=AT,
        unit=unit,
        reporter="resident-1",
        reporter_name=PersonName(NAME),
        reporter_phone=PhoneNumber(PHONE),
        extra={"open311.note": f"回电 {PHONE}", "open311.id_card": ID_NUMBER},
    )


def handled(registry: Registry, unit: str | None = None) -> tuple[RequestDesk, list[Event]]:
    """A desk that received :func:`request` and answered it with feedback quoting the numbers."""
    recorded: list[Event] = []
    engine = Engine.from_registry(
        registry, clock=ManualClock(AT), observers=[lambda _c, e: recorded.append(e)]
    )
    desk = RequestDesk(engine, method="immediate_53522")
    case = desk.receive(request(unit=unit), actor=RESIDENT)
    minute = timedelta(minutes=1)
    for n, trigger in enumerate(("arrive", "classify_small", "solve"), start=1):
        engine.fire(case, trigger, WORKER, at=AT + n * minute)
    feedback = {"feedback": f"已修好，已电话 {PHONE} 回访（身份证 {ID_NUMBER}）"}
    engine.fire(case, "reply", WORKER, at=AT + 4 * minute, data=feedback)
    return desk, recorded


def district() -> District:
    """A small district whose roster holds the resident, as a grid worker."""
    units = chenghua_units(down_to=UnitKind.COMMUNITY, scale=0.2)
    community = next(u.id for u in units if u.kind is UnitKind.COMMUNITY)
    appointment = Appointment(
        person="resident-1", role="grid_worker", start=date(2026, 1, 1), unit=community
    )
    return District(tree=UnitTree(units), roster=Roster([person()], [appointment]))


def entities(registry: Registry) -> Iterator[object]:
    """Every entity that carries the seeded numbers."""
    desk, _ = handled(registry)
    yield PhoneNumber(PHONE)
    yield IdNumber(ID_NUMBER)
    yield PersonName(NAME)
    yield person()
    yield request()
    yield district().roster
    yield district()
    yield CommandPost(
        id="post-1",
        level=CommandLevel.BUILDING_CONTACT,
        unit="b-1",
        name_zh="联系点",
        contact=PhoneNumber(PHONE),
    )
    yield desk.case("r-1")
    yield from ledger_rows(desk, desk, start=AT.date(), end=AT.date() + timedelta(days=1))


# --------------------------------------------------------------------------- bad input


def _bad_inputs() -> dict[str, Callable[[], object]]:
    converter = make_converter()
    person_data = {"id": "p", "name": NAME, "phone": PHONE, "id_number": ID_NUMBER}
    request_data = {
        "id": "r",
        "channel": "hotline_12345",
        "text": QUOTED,
        "submitted_at": AT.isoformat(),
    }
    record = {
        "service_request_id": "1",
        "description": QUOTED,
        "requested_datetime": AT.isoformat(),
    }
    return {
        "phone: one digit too many": lambda: PhoneNumber(PHONE + "1"),
        "phone: one digit short": lambda: PhoneNumber(PHONE[:-1]),
        "phone: a letter": lambda: PhoneNumber(PHONE + "x"),
        "phone: landline after +86": lambda: PhoneNumber("+86 0" + PHONE),
        "phone: an ID number": lambda: PhoneNumber(ID_NUMBER),
        "id: wrong check digit": lambda: IdNumber(ID17 + ("0" if ID_NUMBER[-1] != "0" else "1")),
        "id: one too many": lambda: IdNumber(ID_NUMBER + "1"),
        "id: a letter inside": lambda: IdNumber(ID17[:10] + "A" + ID17[11:] + "1"),
        "id: born in the future": lambda: IdNumber.parse(ID_NUMBER, today=date(1980, 1, 1)),
        "name: digits": lambda: PersonName(f"张{PHONE}"),
        "person: a phone as text": lambda: Person(id="p", name=PersonName(NAME), phone=PHONE),  # type: ignore[arg-type]
        "request: a phone as text": lambda: Request(
            id="r",
            channel=Channel.HOTLINE_12345,
            text=QUOTED,
            submitted_at=AT,
            reporter_phone=PHONE,  # type: ignore[arg-type]
        ),
        "request: naive time, quoting text": lambda: Request(
            id="r",
            channel=Channel.HOTLINE_12345,
            text=QUOTED,
            submitted_at=datetime(2026, 1, 1),  # noqa: DTZ001 - naive on purpose
        ),
        "converter: bad phone": lambda: structure(
            converter, {**person_data, "phone": PHONE + "9"}, Person, what="person"
        ),
        "converter: bad id": lambda: structure(
            converter, {**person_data, "id_number": ID17 + "Y"}, Person, what="person"
        ),
        "converter: phone in the name": lambda: structure(
            converter, {**person_data, "name": PHONE}, Person, what="person"
        ),
        "converter: phone in an enum field": lambda: structure(
            converter, {**request_data, "channel": PHONE}, Request, what="request"
        ),
        "converter: id in an enum field": lambda: structure(
            converter, {**request_data, "urgency": ID_NUMBER}, Request, what="request"
        ),
        "converter: phone in a time field": lambda: structure(
            converter, {**request_data, "submitted_at": PHONE}, Request, what="request"
        ),
        "converter: quoted phone in a time field": lambda: structure(
            converter, {**request_data, "submitted_at": f"回电 {PHONE}"}, Request, what="request"
        ),
        "document: quoted id in a date field": lambda: document_from_data(
            {
                "units": [{"id": "u", "kind": "grid", "name_zh": "网格"}],
                "appointments": [
                    {"person": "p", "role": "grid_worker", "unit": "u", "start": f"证 {ID_NUMBER}"}
                ],
            }
        ),
        "document: bad phone": lambda: document_from_data(
            {"units": [], "people": [{**person_data, "phone": PHONE + "9"}]}
        ),
        "document: phone in a unit kind": lambda: document_from_data(
            {"units": [{"id": "u", "kind": PHONE, "name_zh": "单元"}]}
        ),
        "open311: bad phone": lambda: requests_from_open311([{**record, "phone": PHONE + "9"}]),
        "open311: id as a name": lambda: requests_from_open311([{**record, "first_name": ID17}]),
        "open311: phone as the time": lambda: requests_from_open311(
            [{**record, "requested_datetime": PHONE}]
        ),
        "open311: id as the time": lambda: requests_from_open311(
            [{**record, "requested_datetime": ID_NUMBER}]
        ),
        "open311: phone as latitude": lambda: requests_from_open311(
            [{**record, "lat": PHONE, "long": "104.1"}]
        ),
        "open311: phone as a number": lambda: requests_from_open311(
            [{**record, "lat": "30.6", "long": int(PHONE)}]
        ),
        "open311: quoted phone as longitude": lambda: requests_from_open311(
            [{**record, "lat": "30.6", "long": f"电话{PHONE}"}]
        ),
        "open311: phone in a masked record": lambda: requests_from_open311(
            [{**record, "civicgrid": {"channel": PHONE}}]
        ),
    }


BAD_INPUTS = _bad_inputs()


def messages(error: BaseException) -> list[str]:
    """Every text an error carries, with those of the errors it was raised from."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *map(str, current.args)]
        texts += [str(getattr(current, n, "")) for n in ("message_en", "message_zh")]
        texts += [str(note) for note in getattr(current, "__notes__", ())]
        texts += [str(e) for e in getattr(current, "exceptions", ())]
        current = current.__cause__ or current.__context__
    return texts


# --------------------------------------------------------------------------- exports


def default_exports(registry: Registry) -> dict[str, str]:
    """Every export written without ``reveal_personal``, as text."""
    desk, _ = handled(registry)
    converter = make_converter()
    rows = ledger_rows(desk, desk, start=AT.date(), end=AT.date() + timedelta(days=1))
    stream = io.StringIO(newline="")
    write_ledger_csv(rows, stream)
    return {
        "converter: person": json.dumps(converter.unstructure(person()), ensure_ascii=False),
        "converter: request": json.dumps(converter.unstructure(request()), ensure_ascii=False),
        "district document": json.dumps(dump_document(district()), ensure_ascii=False),
        "open311": json.dumps(requests_to_open311(desk), ensure_ascii=False),
        "ledger csv": stream.getvalue(),
        "ledger json": ledger_json(rows),
    }


# --------------------------------------------------------------------------- the report


def stored_run(registry: Registry, path: Path) -> Path:
    """Write a one-day run to a SQLite store: a request handled with quoted feedback."""
    units = chenghua_units(down_to=UnitKind.COMMUNITY, scale=0.2)
    community = next(u.id for u in units if u.kind is UnitKind.COMMUNITY)
    desk, events = handled(registry, unit=community)
    store = SQLiteStore(path)
    try:
        store.append(
            "sim:meta",
            [
                {
                    "preset": "tiny",
                    "seed": 1,
                    "days": 1,
                    "start": AT.date().isoformat(),
                    "methods": {"requests": "immediate_53522", "deliberation": None},
                    "tz": "Asia/Shanghai",
                    "library": "test",
                    "schema": 1,
                }
            ],
            expected_version=0,
        )
        store.append(
            "district:units",
            [[u.id, u.parent, u.kind.value, u.name_zh, u.households, u.residents] for u in units],
            expected_version=0,
        )
        day = {
            "day": 0,
            "date": AT.date().isoformat(),
            "requests": 1,
            "events": len(events),
            "transactions": 0,
            "open_cases": sum(1 for case in desk if not case.is_closed),
        }
        store.append_many(
            {
                case_stream("r-1"): (encode_events("r-1", events, 0), 0),
                "sim:days": ([day], 0),
            }
        )
    finally:
        store.close()
    return path


# --------------------------------------------------------------------------- tests


def test_the_numbers_are_there_when_revealed(registry: Registry) -> None:
    """The scan sees what it looks for: a deliberate disclosure shows every needle."""
    revealed = make_converter(reveal_personal=True).unstructure(person())
    text = json.dumps(revealed, ensure_ascii=False) + person().id_number.birth_date.isoformat()  # type: ignore[union-attr]
    assert sorted(leaks(text)) == sorted(NEEDLES)
    desk, _ = handled(registry)
    records = requests_to_open311(desk, reveal_personal=True)
    assert PHONE in leaks(json.dumps(records, ensure_ascii=False))


def test_no_repr_or_str_of_an_entity_shows_a_number(registry: Registry, tally: Tally) -> None:
    """``repr``, ``str``, ``format`` and f-strings of every entity give the masked forms."""
    texts = []
    for entity in entities(registry):
        texts += [repr(entity), str(entity), f"{entity}", f"{entity!r}", format(entity, "")]
    scan(tally, "repr and str", texts)


def test_no_repr_of_an_event_shows_a_number(registry: Registry, tally: Tally) -> None:
    """An event's repr masks numbers quoted in its data (the feedback to the resident)."""
    desk, events = handled(registry)
    scan(tally, "event repr", [repr(e) for e in events] + [repr(desk.case("r-1").events)])


@pytest.mark.parametrize("door", sorted(BAD_INPUTS))
def test_no_error_message_shows_a_number(door: str, tally: Tally) -> None:
    """Errors raised for bad input name the field, never the value."""
    with pytest.raises(CivicGridError) as caught:
        BAD_INPUTS[door]()
    scan(tally, "error messages", messages(caught.value))


def test_no_labelled_sample_error_shows_a_number(tally: Tally) -> None:
    """A labelled-request CSV with a number in the channel column is refused without it."""
    text = f"id,split,channel,category,level,text\nr1,,{PHONE},lights,grid,{QUOTED}\n"
    with pytest.raises(CivicGridError) as caught:
        load_labelled_requests(io.StringIO(text))
    scan(tally, "error messages", messages(caught.value))


def test_no_guard_refusal_shows_a_number(registry: Registry, tally: Tally) -> None:
    """A guard refusing data that quotes a number explains itself without it."""
    desk, _ = handled(registry)
    case = desk.case("r-1")
    with pytest.raises(CivicGridError) as caught:
        desk.engine.fire(
            case, "rate", RESIDENT, at=AT + timedelta(hours=1), data={"rating": f"回电 {PHONE}"}
        )
    scan(tally, "error messages", messages(caught.value))


def test_no_default_export_shows_a_number(registry: Registry, tally: Tally) -> None:
    """The converter, documents, Open311 records and the ledger (CSV, JSON) mask by default."""
    exports = default_exports(registry)
    for name, text in exports.items():
        scan(tally, f"default export: {name}", [text])
    rows = list(csv.reader(io.StringIO(exports["ledger csv"].lstrip("\ufeff"))))
    assert len(rows) == 2
    assert "138****8000" in exports["open311"]


def test_the_html_report_shows_no_number(registry: Registry, tally: Tally, tmp_path: Path) -> None:
    """The report of a run whose events quote the numbers does not show them."""
    store = stored_run(registry, tmp_path / "run.sqlite")
    opened = SQLiteStore(store)
    try:
        page = write_report(opened, tmp_path / "report", registry=registry)
    finally:
        opened.close()
    scan(tally, "html report", [page.read_text(encoding="utf-8")])


def test_the_command_line_shows_no_number(
    registry: Registry,
    tally: Tally,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``grid check``, ``requests dispatch-eval`` and ``report`` print no number, nor errors."""
    document = tmp_path / "district.json"
    revealed = dump_document(district(), reveal_personal=True)
    document.write_text(json.dumps(revealed, ensure_ascii=False), encoding="utf-8")
    broken = tmp_path / "broken.json"
    revealed["people"][0]["phone"] = PHONE + "9"
    revealed["people"][0]["id_number"] = ID17 + "Y"
    broken.write_text(json.dumps(revealed, ensure_ascii=False), encoding="utf-8")
    sample = tmp_path / "sample.csv"
    sample.write_text(
        "id,split,channel,category,level,text\n"
        f"r1,,hotline_12345,lights,grid,{QUOTED}\n"
        f"r2,test,grid_patrol,other,,{ID_NUMBER} 反映噪音\n",
        encoding="utf-8",
    )
    store = stored_run(registry, tmp_path / "run.sqlite")
    commands = [
        ["grid", "check", str(document), "--on", "2026-11-23"],
        ["grid", "check", str(document), "--on", "2026-11-23", "--json"],
        ["grid", "check", str(broken)],
        ["requests", "dispatch-eval", str(sample)],
        ["requests", "dispatch-eval", str(sample), "--json"],
        ["report", f"sqlite:{store}", "--out", str(tmp_path / "cli-report")],
        ["report", f"sqlite:{store}", "--json"],
    ]
    texts = []
    for argv in commands:
        out = io.StringIO()
        status = main(argv, stdout=out)
        captured = capsys.readouterr()
        texts += [out.getvalue(), captured.out, captured.err]
        assert status in (0, 1, 2), argv
    texts.append((tmp_path / "cli-report" / "report.html").read_text(encoding="utf-8"))
    scan(tally, "command line", texts)


def test_no_log_record_shows_a_number(
    registry: Registry,
    tally: Tally,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Everything above, run again at DEBUG on every logger, logs no number.

    The library itself logs nothing today; an application logging the entities (``%s``,
    ``%r``, or an f-string, as a view of a request would) gets the masked forms.
    """
    application = logging.getLogger("civicgrid.hardening.application")
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="civicgrid"):
        for entity in entities(registry):
            application.debug("entity %s / %r", entity, entity)
            application.info(f"entity {entity}")
        default_exports(registry)
        for build in BAD_INPUTS.values():
            with pytest.raises(CivicGridError):
                build()
        store = stored_run(registry, tmp_path / "run.sqlite")
        main(["report", f"sqlite:{store}", "--out", str(tmp_path / "out")], stdout=io.StringIO())
    assert len(caplog.records) >= 20
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.exc_text or "")]
    scan(tally, "log records", texts)


def test_a_stored_run_keeps_what_it_was_given(registry: Registry, tmp_path: Path) -> None:
    """The store holds the feedback as given (the scans above read a run that carries it)."""
    path = stored_run(registry, tmp_path / "run.sqlite")
    store = SQLiteStore(path)
    try:
        raw = json.dumps([r.data for r in store.read(case_stream("r-1"))], ensure_ascii=False)
    finally:
        store.close()
    assert PHONE in raw
