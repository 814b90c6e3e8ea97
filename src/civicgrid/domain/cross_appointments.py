"""Cross-appointment (双向进入、交叉任职, DOMAIN.md O5): who sits on more than one compound body.

Wuwei (seeds/000) brings party members into the compound party branch and the owners'
committee and achieves "two-way entry, cross-appointment" with the owners' committee and the
property company; Huichuan (seeds/002) has residents' committee, property company and owners'
committee members "enter each other and hold posts in both". :func:`cross_appointment_report`
says, for a date and per compound, which of those bodies exist, who holds seats in two or more
of them, and the share of compounds with at least one such person.

The bodies of a compound (:class:`CrossBody`):

* its party organisation: party organisations (:attr:`OrgKind.is_party`) serving the compound
  unit itself;
* its residents' committee, owners' committee and property company: the organisations of that
  kind serving the compound, or, when it has none, the nearest unit above it that has one (a
  residents' committee usually serves the whole community).

Only organisations active on the date count, and only appointments held on the date in them;
appointments bound to a unit alone, or to an organisation the :class:`Organisations` do not
hold, are not seats in a compound body and are left out. A person is cross-appointed when
their seats span two or more bodies: two of the three committees and companies, or the party
organisation and one of them. Two seats in one body (say, in the party branch and a party
group) do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

import attrs

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.organisations import Organisation, Organisations, OrgKind
from civicgrid.domain.people import Appointment, Roster
from civicgrid.domain.schemes import GridCheck, GridContext
from civicgrid.domain.units import UnitKind, UnitTree

__all__ = [
    "COMPOUND_KINDS",
    "CompoundBodies",
    "CrossAppointment",
    "CrossAppointmentReport",
    "CrossBody",
    "cross_appointment_check",
    "cross_appointment_report",
]

COMPOUND_KINDS: tuple[UnitKind, ...] = (UnitKind.COMPOUND, UnitKind.COURTYARD, UnitKind.AREA)
"""The unit kinds a report treats as compounds: 小区, 院落 and 片区 (G1)."""


class CrossBody(Labelled):
    """One of the bodies of a compound among which seats are cross-held."""

    PARTY = "party"
    RESIDENTS_COMMITTEE = "residents_committee"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY_COMPANY = "property_company"


_BODY_LABELS: dict[CrossBody, tuple[str, str]] = {
    CrossBody.PARTY: ("小区党组织", "compound party organisation"),
    CrossBody.RESIDENTS_COMMITTEE: ("居委会", "residents' committee"),
    CrossBody.OWNERS_COMMITTEE: ("业委会", "owners' committee"),
    CrossBody.PROPERTY_COMPANY: ("物业服务企业", "property company"),
}
register_labels(_BODY_LABELS)

_BODY_OF_KIND: dict[OrgKind, CrossBody] = {
    OrgKind.RESIDENTS_COMMITTEE: CrossBody.RESIDENTS_COMMITTEE,
    OrgKind.OWNERS_COMMITTEE: CrossBody.OWNERS_COMMITTEE,
    OrgKind.PROPERTY_COMPANY: CrossBody.PROPERTY_COMPANY,
}


def _bodies(value: Iterable[CrossBody]) -> tuple[CrossBody, ...]:
    return tuple(value)


def _appointments(value: Iterable[Appointment]) -> tuple[Appointment, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _people(value: Iterable[CrossAppointment]) -> tuple[CrossAppointment, ...]:
    return tuple(value)


def _compounds(value: Iterable[CompoundBodies]) -> tuple[CompoundBodies, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class CrossAppointment:
    """A person holding seats in two or more bodies of one compound on the report's date.

    ``bodies`` are listed in :class:`CrossBody` order; ``appointments`` are the seats that
    count, in roster order.
    """

    person: str
    bodies: tuple[CrossBody, ...] = attrs.field(converter=_bodies)
    appointments: tuple[Appointment, ...] = attrs.field(converter=_appointments)


@attrs.frozen(kw_only=True)
class CompoundBodies:
    """One compound on the report's date: the ids of its bodies and who is cross-appointed."""

    unit: str
    party: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    residents_committee: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    owners_committee: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    property_company: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    cross: tuple[CrossAppointment, ...] = attrs.field(default=(), converter=_people)

    def organisations(self, body: CrossBody) -> tuple[str, ...]:
        """Return the ids of the organisations standing for ``body`` (empty if it has none)."""
        ids: tuple[str, ...] = getattr(self, body.value)
        return ids

    @property
    def present(self) -> tuple[CrossBody, ...]:
        """The bodies the compound has, in :class:`CrossBody` order."""
        return tuple(body for body in CrossBody if self.organisations(body))

    @property
    def missing(self) -> tuple[CrossBody, ...]:
        """The bodies the compound lacks, in :class:`CrossBody` order."""
        return tuple(body for body in CrossBody if not self.organisations(body))

    @property
    def covered(self) -> bool:
        """Whether at least one person is cross-appointed in the compound."""
        return bool(self.cross)


@attrs.frozen(kw_only=True)
class CrossAppointmentReport:
    """Cross-appointment per compound on ``on``, and the coverage across them."""

    on: date
    compounds: tuple[CompoundBodies, ...] = attrs.field(converter=_compounds)

    def __iter__(self) -> Iterator[CompoundBodies]:
        return iter(self.compounds)

    def __len__(self) -> int:
        return len(self.compounds)

    @property
    def covered(self) -> tuple[str, ...]:
        """The ids of the compounds with at least one cross-appointed person."""
        return tuple(c.unit for c in self.compounds if c.covered)

    @property
    def uncovered(self) -> tuple[str, ...]:
        """The ids of the compounds with none."""
        return tuple(c.unit for c in self.compounds if not c.covered)

    @property
    def coverage(self) -> float | None:
        """The share of compounds with at least one cross-appointment; ``None`` without any."""
        if not self.compounds:
            return None
        return len(self.covered) / len(self.compounds)

    def findings(self, *, severity: Severity = Severity.WARNING) -> tuple[Finding, ...]:
        """Return one finding per compound without a cross-appointment, for a city that asks.

        The rule is ``cross_appointment``; ``value`` is 0 against a ``limit`` of 1 person, and
        the message names the bodies the compound has, since with fewer than two nobody can
        be cross-appointed there.
        """
        found: list[Finding] = []
        for compound in self.compounds:
            if compound.covered:
                continue
            present_en = ", ".join(b.label_en for b in compound.present) or "none of the bodies"
            present_zh = "、".join(b.label_zh for b in compound.present) or "无"
            found.append(
                Finding(
                    rule="cross_appointment",
                    severity=severity,
                    unit=compound.unit,
                    value=0,
                    limit=1,
                    message_en=(
                        f"nobody holds seats in two of its bodies on {self.on.isoformat()} "
                        f"(bodies present: {present_en})"
                    ),
                    message_zh=(
                        f"{self.on.isoformat()} 无人在两个以上组织交叉任职"
                        f"（现有组织：{present_zh}）"
                    ),
                )
            )
        return tuple(found)


def _nearest(
    tree: UnitTree, unit_id: str, kind: OrgKind, on: date, organisations: Organisations
) -> tuple[Organisation, ...]:
    found = organisations.serving(unit_id, on=on, kinds=(kind,))
    if found:
        return found
    for above in tree.ancestors(unit_id):
        found = organisations.serving(above.id, on=on, kinds=(kind,))
        if found:
            return found
    return ()


def _compound(
    tree: UnitTree, unit_id: str, on: date, roster: Roster, organisations: Organisations
) -> CompoundBodies:
    by_body: dict[CrossBody, tuple[Organisation, ...]] = {
        CrossBody.PARTY: tuple(
            org for org in organisations.serving(unit_id, on=on) if org.kind.is_party
        )
    }
    for kind, body in _BODY_OF_KIND.items():
        by_body[body] = _nearest(tree, unit_id, kind, on, organisations)
    seats: dict[str, list[tuple[CrossBody, Appointment]]] = {}
    for body in CrossBody:
        for org in by_body[body]:
            for appointment in roster.holders(on=on, org=org.id):
                seats.setdefault(appointment.person, []).append((body, appointment))
    cross = []
    for person, held in seats.items():
        bodies = {body for body, _ in held}
        if len(bodies) >= 2:
            cross.append(
                CrossAppointment(
                    person=person,
                    bodies=[b for b in CrossBody if b in bodies],
                    appointments=[a for _, a in held],
                )
            )
    return CompoundBodies(
        unit=unit_id,
        party=[o.id for o in by_body[CrossBody.PARTY]],
        residents_committee=[o.id for o in by_body[CrossBody.RESIDENTS_COMMITTEE]],
        owners_committee=[o.id for o in by_body[CrossBody.OWNERS_COMMITTEE]],
        property_company=[o.id for o in by_body[CrossBody.PROPERTY_COMPANY]],
        cross=cross,
    )


def cross_appointment_report(
    tree: UnitTree,
    *,
    on: date,
    roster: Roster,
    organisations: Organisations,
    under: str | None = None,
    kinds: Iterable[UnitKind] = COMPOUND_KINDS,
) -> CrossAppointmentReport:
    """Report cross-appointment on ``on`` for every compound of ``tree`` (below ``under``).

    Compounds are the units of ``kinds`` (小区, 院落, 片区 by default), breadth first; with
    ``under``, only those below that unit. Within a compound, people appear in the order of
    their first seat (bodies in :class:`CrossBody` order, then the roster's order). Raises
    :class:`~civicgrid.domain.units.UnknownUnit` when ``under`` is not in the tree.
    """
    wanted = frozenset(kinds)
    top = tree.root.id if under is None else tree.unit(under).id
    units = [u for u in (tree.unit(top), *tree.descendants(top)) if u.kind in wanted]
    return CrossAppointmentReport(
        on=on, compounds=[_compound(tree, u.id, on, roster, organisations) for u in units]
    )


def cross_appointment_check(
    *, severity: Severity = Severity.WARNING, kinds: Iterable[UnitKind] = COMPOUND_KINDS
) -> GridCheck:
    """Return a grid check a city registers to be told of compounds without cross-appointment.

    The library does not register it: the documents describe cross-appointment as something
    cities promote, not a rule every compound must meet. A city that requires it returns this
    check from its ``register_grid_checks`` hook; it reports :meth:`CrossAppointmentReport.findings`
    on the context's tree, date, roster and organisations.
    """
    wanted = tuple(kinds)

    def check(context: GridContext) -> tuple[Finding, ...]:
        report = cross_appointment_report(
            context.tree,
            on=context.on,
            roster=context.roster,
            organisations=context.organisations,
            kinds=wanted,
        )
        return report.findings(severity=severity)

    return GridCheck(
        name="cross_appointment",
        check=check,
        label_zh="小区党组织、居委会、业委会、物业交叉任职",
        label_en="cross-appointment between compound bodies",
    )
