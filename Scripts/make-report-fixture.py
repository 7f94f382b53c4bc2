#!/usr/bin/env python3
"""Generates the fixture for report form Biểu II.06a (tình hình giải quyết hồ sơ TTHC): a seeded scenario
and the figures the report must show for it, computed here in Python, independently of the Swift code.

    python3 Scripts/make-report-fixture.py [--seed 2026] [--out Tests/Fixtures/report-06a]

Writes scenario.json (300 dossiers received at 3 communes of Hàm Thuận Bắc, 100 each: a few in
December 2025 carried over, most in Q1 2026, a few in April 2026 that Q1 must exclude; each with the
ops a clerk did, in order) and expected.json (the report rows for every period listed in the scenario).
About 60 dossiers are written by hand below (CASES: one per situation the report must get right, each
with the class it must fall into, asserted here); the rest are drawn with random.Random(seed).
A Swift test replays the ops through the real workflow and compares its report with expected.json.

Deadline arithmetic (Config/calendar: office hours 07:00-11:30 and 13:30-17:00, Vietnam time; a date is
a working day if listed in workingDays, else not if in daysOff or a weekend day):
- startOfCounting(t): t itself inside office hours of a working day; the next opening that day if
  before it; else 07:00 of the next working day.
- addWorkingMinutes(m, t): from startOfCounting(t), consume m office minutes (may end at 11:30 or 17:00).
- workingDays n: add n*480 minutes; workingHours n: add n*60; calendarDays n: 17:00 of the first working
  day on or after (date of startOfCounting(t)) + n; none: no deadline. Online dossiers use onlineDuration.
- requestSupplement under policy "pause" remembers the working minutes (calendar days) left to the
  appointment; supplementReceived resumes them from its time; under "restart" the count starts afresh.
- extend moves the citizen's appointment only; the report keeps the deadline from receive/supplement.

Report rules (period [from 00:00, to+1 00:00), Vietnam time; restricted to the commune/field asked):
- skip a dossier received at or after the end, or finished (first resolve/refuse/stop/withdraw) before
  the start; received = online / counterOrPost if received in the period, else carriedOver;
- finished before the end: refuse/stop/withdraw -> onTime; else compare the finish date with the date of
  the deadline in force (no deadline -> onTime): earlier -> early, same -> onTime, later -> late;
- else pending: waiting for a supplement at the end -> withinTime; else no deadline or deadline date
  after `to` -> withinTime, otherwise late.
"""
import argparse
import json
import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
CALENDAR, PROCEDURES = "Config/calendar/vn-2025-2027.json", "Config/procedures/commune-2025.json"
HORIZON = datetime(2026, 4, 30, 17, 0)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DISTRICT = {"origin": "hub-597", "agency": "597", "office": "UBND huyện Hàm Thuận Bắc", "actor": "pb-tnmt-01"}
COMMUNES = [{"origin": f"xa-{code}", "agency": code, "office": office, "actor": "cb-tiepnhan-01"} for code, office in
            [("23059", "UBND thị trấn Ma Lâm"), ("23062", "UBND thị trấn Phú Long"), ("23065", "UBND xã La Dạ")]]
PERIODS = {"Q1": ("2026-01-01", "2026-03-31"), "Jan": ("2026-01-01", "2026-01-31"), "Feb": ("2026-02-01", "2026-02-28"),
           "Mar": ("2026-03-01", "2026-03-31"), "D31": ("2026-03-31", "2026-03-31"), "Tet": ("2026-02-14", "2026-02-22")}
FINISHES = {"resolve", "refuse", "stop", "withdraw"}
ACTIVE = {"received", "processing", "supplementRequested"}
RULES = {  # op -> (statuses it may be written in, status after it; None keeps the status)
    "process": ({"received", "processing"}, "processing"), "requestSupplement": ({"received", "processing"}, "supplementRequested"),
    "supplementReceived": ({"supplementRequested"}, "processing"), "forward": ({"received", "processing"}, "forwarded"),
    "accept": ({"forwarded"}, "processing"), "resolve": ({"received", "processing"}, "resolved"),
    "sendResult": ({"resolved", "stopped"}, None), "return": ({"resolved", "stopped", "refusedAtReception"}, "returned"),
    "withdraw": (ACTIVE, "withdrawn"), "stop": (ACTIVE, "stopped"), "refuse": ({"received"}, "refusedAtReception"),
    "extend": (ACTIVE, None)}
PROCEDURE_WEIGHTS = {"1.001193": 20, "1.000656": 7, "1.000894": 8, "1.004873": 12, "2.000815": 11, "2.000884": 10,
                     "1.001776": 5, "1.013978": 6, "1.001612": 6, "1.012812": 3}
OUTCOME_WEIGHTS = {"early": 50, "onTime": 20, "late": 12, "supplement": 7, "refused": 3, "withdrawn": 3, "stopped": 2, "extended": 3}


def parse_at(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


def fmt(t):
    return t.strftime("%Y-%m-%d %H:%M")


def minute_of(t):
    return t.hour * 60 + t.minute


class Calendar:
    """The working calendar and the deadline arithmetic, on naive datetimes in Vietnam time."""

    def __init__(self, raw):
        self.spans = [tuple(int(x[:2]) * 60 + int(x[3:]) for x in (s["from"], s["to"])) for s in raw["officeHours"]]
        self.weekend = {WEEKDAYS.index(day) for day in raw["weekendDays"]}
        self.off = {date.fromisoformat(d["date"]) for y in raw["years"] for d in y["daysOff"]}
        self.worked = {date.fromisoformat(d["date"]) for y in raw["years"] for d in y.get("workingDays", [])}
        self.office_minutes = [m for a, b in self.spans for m in range(a, b)]

    def is_working(self, day):
        return day in self.worked or (day not in self.off and day.weekday() not in self.weekend)

    def at(self, day, minute):
        return datetime.combine(day, time()) + timedelta(minutes=minute)

    def next_working(self, day):
        day += timedelta(days=1)
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def start_of_counting(self, t):
        """t inside office hours, the next opening that day, or the next working day's first opening."""
        if self.is_working(t.date()):
            for a, b in self.spans:
                if minute_of(t) < a:
                    return self.at(t.date(), a)
                if minute_of(t) < b:
                    return t
        return self.at(self.next_working(t.date()), self.spans[0][0])

    def add_working_minutes(self, minutes, t):
        """The instant `minutes` office minutes after startOfCounting(t)."""
        start = self.start_of_counting(t)
        if minutes <= 0:
            return start
        day, frm, remaining = start.date(), minute_of(start), minutes
        while True:
            if self.is_working(day):
                for a, b in self.spans:
                    if b > frm:
                        begin = max(a, frm)
                        if remaining <= b - begin:
                            return self.at(day, begin + remaining)
                        remaining -= b - begin
            day, frm = day + timedelta(days=1), 0

    def working_minutes(self, a, b):
        """Office minutes of working days between instants a and b."""
        total, day = 0, a.date()
        while b > a and day <= b.date():
            if self.is_working(day):
                for x, y in self.spans:
                    lo, hi = max(self.at(day, x), a), min(self.at(day, y), b)
                    total += max(0, int((hi - lo).total_seconds()) // 60)
            day += timedelta(days=1)
        return total

    def calendar_deadline(self, days, t):
        day = self.start_of_counting(t).date() + timedelta(days=days)
        while not self.is_working(day):
            day += timedelta(days=1)
        return self.at(day, self.spans[-1][1])

    def deadline(self, duration, t):
        kind, n = duration["kind"], duration.get("value", 0)
        if kind == "none":
            return None
        if kind == "calendarDays":
            return self.calendar_deadline(n, t)
        return self.add_working_minutes(n * (480 if kind == "workingDays" else 60), t)

    def remaining(self, duration, appointment, t):
        """What a paused count remembers at t: working minutes, or calendar days, left to the appointment."""
        if duration["kind"] == "calendarDays":
            return max(0, (appointment.date() - t.date()).days)
        return self.working_minutes(t, appointment)

    def resume(self, duration, remaining, t):
        if duration["kind"] == "none":
            return None
        if duration["kind"] == "calendarDays":
            return self.calendar_deadline(remaining, t)
        return self.add_working_minutes(remaining, t)


class World:
    """The calendar and the procedure catalogue read from the repository."""

    def __init__(self):
        self.cal = Calendar(json.loads((ROOT / CALENDAR).read_text(encoding="utf-8")))
        catalogue = json.loads((ROOT / PROCEDURES).read_text(encoding="utf-8"))
        self.procs = {p["code"]: p for p in catalogue["procedures"]}

    def duration(self, code, channel):
        proc = self.procs[code]
        return proc["onlineDuration"] if channel == "online" and "onlineDuration" in proc else proc["duration"]


def facts(world, d):
    """Replays a dossier's ops: receive time, finish (time, kind), deadlines in force [(since, deadline)],
    supplement ops [(time, kind)] and the citizen's current appointment (with extensions)."""
    cal, proc, dur = world.cal, world.procs[d["procedure"]], world.duration(d["procedure"], d["channel"])
    f = SimpleNamespace(received=None, finish=None, deadlines=[], supplements=[], appointment=None)
    paused = None
    for op in d["ops"]:
        t, kind = parse_at(op["at"]), op["op"]
        if kind == "receive":
            f.received, f.appointment = t, cal.deadline(dur, t)
            f.deadlines.append((t, f.appointment))
        elif kind == "requestSupplement":
            f.supplements.append((t, kind))
            pause = proc["supplement"] == "pause" and f.appointment is not None
            paused = cal.remaining(dur, f.appointment, t) if pause else None
        elif kind == "supplementReceived":
            f.supplements.append((t, kind))
            f.appointment = cal.resume(dur, paused, t) if paused is not None else cal.deadline(dur, t)
            f.deadlines.append((t, f.appointment))
            paused = None
        elif kind == "extend":
            f.appointment = cal.at(date.fromisoformat(op["until"]), cal.spans[-1][1])
        elif kind in FINISHES and f.finish is None:
            f.finish = (t, kind)
    return f


class Builder:
    """Writes one dossier's ops, refusing (assert) what the workflow would refuse. An op later than
    HORIZON is dropped together with every op after it, so the dossier simply stays where it is."""

    def __init__(self, world, commune, code, channel, at, case):
        self.world, self.cal = world, world.cal
        self.district = world.procs[code]["decidingLevel"] == "district"
        self.json = {"code": None, "commune": commune, "procedure": code, "channel": channel, "case": case, "ops": []}
        self.status, self.owner, self.extended, self.closed = None, "commune", False, False
        assert self.do("receive", at), f"receive after the horizon: {at}"

    @property
    def last(self):
        return parse_at(self.json["ops"][-1]["at"])

    @property
    def deadline(self):
        return facts(self.world, self.json).deadlines[-1][1]

    def after(self, minutes):
        return self.cal.add_working_minutes(minutes, self.last)

    def do(self, op, at, **extra):
        """Appends op at `at` by the current owner; False when dropped at the horizon."""
        if self.closed or at > HORIZON:
            self.closed = True
            return False
        ops, where = self.json["ops"], f"{self.json['procedure']} {op} at {fmt(at)}"
        if op == "receive":
            assert not ops, where
            new = "received"
        else:
            assert at >= self.last + timedelta(minutes=1), f"{where}: not after {fmt(self.last)}"
            allowed, new = RULES[op]
            assert self.status in allowed, f"{where}: status {self.status}"
            if op in ("forward", "return", "withdraw"):
                assert self.owner == "commune", f"{where}: owner {self.owner}"
            if op in ("accept", "sendResult") or (op == "resolve" and self.district):
                assert self.owner == "district", f"{where}: owner {self.owner}"
            if op == "forward":
                assert self.district, where
            assert op != "requestSupplement" or not self.extended, f"{where}: supplement after an extension"
            if op == "extend":
                until, appointment = date.fromisoformat(extra["until"]), facts(self.world, self.json).appointment
                assert until > at.date() and self.cal.is_working(until), f"{where}: until {until}"
                assert appointment is None or until > appointment.date(), f"{where}: until {until} <= {appointment}"
                self.extended = True
        ops.append({"op": op, "by": self.owner, "at": fmt(at), **extra})
        self.status = new or self.status
        self.owner = {"forward": "district", "sendResult": "commune"}.get(op, self.owner)
        return True

    def prep(self, rng):
        """Hands over to processing; a district procedure is forwarded, accepted and handed over there."""
        self.do("process", self.after(rng.randint(5, 60)))
        if self.district:
            self.do("forward", self.after(rng.randint(15, 120)))
            self.do("accept", self.after(rng.randint(15, 240)))
            self.do("process", self.after(rng.randint(5, 60)))

    def close(self, rng):
        """After a result (or a stop): the district sends it back, then the commune returns it to the citizen."""
        if self.owner == "district":
            self.do("sendResult", self.after(rng.randint(30, 480)))
        self.do("return", self.after(rng.randint(30, 2400)))

    def resolve_time(self, outcome, rng):
        """A time for the result: early (before the deadline's date), onTime (on it) or late (1-6 working days after)."""
        cal, last, dl = self.cal, self.last, self.deadline
        if dl is None:
            return self.after(rng.randint(5, 960))
        room = cal.working_minutes(last, cal.at(dl.date(), 0))
        if outcome == "early" and room > 1:
            return cal.add_working_minutes(rng.randint(1, room), last)
        slots = [m for m in cal.office_minutes if cal.at(dl.date(), m) > last]
        if outcome in ("early", "onTime") and slots:
            return cal.at(dl.date(), rng.choice(slots))
        day = dl.date()
        for _ in range(rng.randint(1, 6)):
            day = cal.next_working(day)
        t = cal.at(day, rng.choice(cal.office_minutes))
        return t if t > last else self.after(rng.randint(5, 480))


# Hand-written dossiers: (case, commune index, procedure, channel, received at, steps, expected classes).
# Steps: "prep" | "close" | "<op> +N" (N working minutes after the previous op) | "<op> YYYY-MM-DD HH:MM",
# then the extend date or "refused" for resolve; "resolve early|onTime|late" picks a time for that class.
# Expected: "<period>:<group.kind>" (see PERIODS), or "<period>:skip".
CASES = [
    ("finished-before-q1", 0, "1.001193", "counter", "2025-12-22 09:10", "prep; resolve +200; close", "Q1:skip Jan:skip"),
    ("finished-before-q1", 1, "1.000656", "counter", "2025-12-26 14:00", "prep; resolve 2025-12-31 16:59; return 2026-01-05 08:30", "Q1:skip"),
    ("finished-before-q1", 2, "1.013978", "counter", "2025-12-30 09:00", "refuse +20; return +5", "Q1:skip"),
    ("carried-over-finished", 0, "1.000894", "counter", "2025-12-30 10:00", "prep; resolve 2026-01-07 15:00; close", "Q1:resolved.early"),
    ("carried-over-finished", 1, "1.000656", "counter", "2025-12-31 15:30", "prep; resolve 2026-01-07 16:10; close", "Q1:resolved.onTime"),
    ("carried-over-finished", 2, "1.012812", "counter", "2025-12-26 09:00", "prep; resolve 2026-01-27 09:30; close", "Q1:resolved.late"),
    ("carried-over-pending", 0, "1.013978", "counter", "2025-12-15 09:00",
     "prep; requestSupplement 2026-01-06 10:00; supplementReceived 2026-03-25 09:00; process +30; resolve 2026-04-03 10:00; close",
     "Q1:pending.withinTime Jan:pending.withinTime"),
    ("carried-over-pending", 1, "1.001776", "counter", "2025-12-18 14:00", "prep; resolve 2026-04-08 10:00; close", "Q1:pending.late Jan:pending.late"),
    ("carried-over-pending", 2, "1.004873", "counter", "2025-12-29 09:00",
     "process +20; requestSupplement 2025-12-30 10:00; supplementReceived 2026-04-06 09:00; process +20; resolve +240; close", "Q1:pending.withinTime"),
    ("district-stopped", 0, "1.001776", "counter", "2025-12-10 09:00", "prep; stop 2026-01-20 10:00; close", "Q1:resolved.onTime Jan:resolved.onTime"),
    ("district-stopped", 1, "1.013978", "post", "2026-02-23 09:00", "prep; stop 2026-03-16 10:00; close", "Q1:resolved.onTime"),
    ("resolved-last-day-jan", 0, "1.000656", "counter", "2026-01-27 09:00", "prep; resolve 2026-01-31 10:15; return 2026-02-02 08:30",
     "Jan:resolved.late Feb:skip"),
    ("resolved-last-day-jan", 1, "1.000894", "counter", "2026-01-29 08:00", "prep; resolve 2026-01-31 09:30; close", "Jan:resolved.early"),
    ("resolved-last-day-jan", 2, "1.001193", "counter", "2026-01-29 10:00", "prep; resolve 2026-01-30 16:45; close", "Jan:resolved.onTime"),
    ("resolved-last-day-feb", 0, "1.001193", "counter", "2026-02-26 14:00", "prep; resolve 2026-02-27 16:30; close", "Feb:resolved.onTime"),
    ("resolved-last-day-feb", 1, "1.000656", "counter", "2026-02-24 09:00", "prep; resolve 2026-02-28 09:30; close", "Feb:resolved.late Mar:skip"),
    ("resolved-last-day-feb", 2, "1.004873", "counter", "2026-02-25 09:00", "prep; resolve 2026-02-28 10:00; close", "Feb:resolved.early"),
    ("resolved-31mar-1659", 0, "1.000656", "counter", "2026-03-26 10:00", "prep; resolve 2026-03-31 16:59; close",
     "Q1:resolved.onTime Mar:resolved.onTime D31:resolved.onTime"),
    ("resolved-last-day-mar", 1, "1.001193", "counter", "2026-03-30 08:30", "process +20; resolve 2026-03-31 08:10; close", "D31:resolved.onTime"),
    ("resolved-last-day-mar", 2, "2.000884", "counter", "2026-03-31 14:00", "process +10; resolve 2026-03-31 16:40; close", "D31:resolved.onTime"),
    ("on-time-after-deadline-hour", 1, "1.001193", "counter", "2026-01-14 08:00", "prep; resolve 2026-01-15 15:20; close", "Q1:resolved.onTime"),
    ("deadline-at-closing", 2, "1.001193", "counter", "2026-02-03 07:00", "prep; resolve 2026-02-03 16:30; close", "Q1:resolved.onTime"),
    ("deadline-at-closing", 0, "1.001193", "counter", "2026-03-03 07:00", "prep; resolve 2026-03-04 08:00; close", "Q1:resolved.late"),
    ("counter-1658", 0, "1.001193", "counter", "2026-03-05 16:58", "process +1; resolve 2026-03-06 16:59; close", "Q1:resolved.onTime"),
    ("counter-1705", 1, "1.001193", "counter", "2026-03-06 17:05", "process +30; resolve 2026-03-09 16:50; close", "Q1:resolved.onTime"),
    ("counter-1705", 2, "1.001193", "counter", "2026-01-21 17:05", "process +30; resolve 2026-01-23 07:30; close", "Q1:resolved.late"),
    ("weekend-online", 2, "1.001612", "online", "2026-03-07 21:15", "prep; resolve 2026-03-10 15:00; close", "Q1:resolved.onTime"),
    ("holiday-online", 0, "1.001193", "online", "2026-02-17 20:30", "process +20; resolve 2026-02-23 11:00; close",
     "Feb:resolved.onTime Tet:pending.withinTime"),
    ("holiday-online", 1, "1.004873", "online", "2026-02-19 09:00", "process +20; resolve 2026-02-24 10:00; close",
     "Feb:resolved.early Tet:pending.withinTime"),
    ("online-duration", 0, "1.001612", "online", "2026-01-20 09:00", "prep; resolve 2026-01-23 08:00; close", "Q1:resolved.late"),
    ("district-resolved", 1, "1.001612", "counter", "2026-01-20 09:00", "prep; resolve 2026-01-23 08:00; close", "Q1:resolved.onTime"),
    ("district-resolved", 2, "1.013978", "counter", "2026-01-06 09:00", "prep; resolve early; close", "Q1:resolved.early"),
    ("worked-saturday", 0, "1.001193", "counter", "2026-01-09 15:00", "process +10; resolve 2026-01-12 09:00; close", "Q1:resolved.late"),
    ("worked-saturday", 1, "1.001193", "counter", "2026-01-10 09:00", "process +10; resolve 2026-01-12 08:30; close", "Q1:resolved.onTime"),
    ("extended-resolved-late", 1, "1.000894", "counter", "2026-02-02 09:00",
     "prep; extend 2026-02-06 10:00 2026-02-13; resolve 2026-02-12 10:00; close", "Q1:resolved.late Feb:resolved.late"),
    ("extended-resolved-late", 2, "1.013978", "counter", "2026-01-12 09:00",
     "prep; extend 2026-02-05 10:00 2026-03-06; resolve 2026-03-03 10:00; close",
     "Q1:resolved.late Jan:pending.withinTime Feb:pending.late Mar:resolved.late"),
    ("extended-pending-late", 0, "1.001776", "counter", "2026-02-25 09:00",
     "prep; extend 2026-03-20 10:00 2026-04-10; resolve 2026-04-09 10:00; close", "Q1:pending.late Feb:pending.withinTime"),
    ("extended-pending-late", 2, "1.000894", "counter", "2026-03-20 09:00",
     "prep; extend 2026-03-26 10:00 2026-04-03; resolve 2026-04-02 10:00; close", "Q1:pending.late D31:pending.late"),
    ("pause-supplement", 0, "1.004873", "counter", "2026-01-19 09:00",
     "process +20; requestSupplement 2026-01-20 10:00; supplementReceived 2026-01-28 14:00; process +20; resolve 2026-01-30 16:00; close",
     "Q1:resolved.onTime"),
    ("pause-supplement", 1, "1.013978", "counter", "2026-02-02 08:00",
     "prep; requestSupplement 2026-02-10 09:00; supplementReceived 2026-03-02 09:00; process +30; resolve early; close", "Q1:resolved.early"),
    ("restart-supplement", 2, "1.000894", "counter", "2026-03-02 09:00",
     "prep; requestSupplement 2026-03-05 10:00; supplementReceived 2026-03-12 09:00; process +20; resolve 2026-03-18 10:00; close",
     "Q1:resolved.early"),
    ("restart-supplement", 0, "1.001193", "counter", "2026-02-05 09:00",
     "process +20; requestSupplement 2026-02-05 14:00; supplementReceived 2026-02-23 10:00; process +20; resolve 2026-02-24 15:00; close",
     "Feb:resolved.onTime Tet:pending.withinTime"),
    ("waiting-supplement-31mar", 1, "1.004873", "counter", "2026-01-07 09:00",
     "process +20; requestSupplement 2026-01-08 10:00; supplementReceived 2026-04-14 09:00; process +20; resolve +300; close",
     "Q1:pending.withinTime Jan:pending.withinTime D31:pending.withinTime"),
    ("waiting-supplement-31mar", 1, "1.012812", "counter", "2026-01-20 10:00", "process +20; requestSupplement 2026-02-05 10:00",
     "Q1:pending.withinTime"),
    ("waiting-supplement-31mar", 2, "1.013978", "counter", "2026-02-09 09:00", "prep; requestSupplement 2026-03-10 10:00",
     "Q1:pending.withinTime"),
    ("withdrawn", 0, "1.000894", "counter", "2026-03-03 09:00", "process +20; withdraw 2026-03-04 10:00", "Q1:resolved.onTime"),
    ("withdrawn", 2, "1.001776", "counter", "2026-03-09 09:00", "withdraw +60", "Q1:resolved.onTime"),
    ("withdrawn-late", 1, "1.000656", "counter", "2026-01-05 09:00", "process +20; withdraw 2026-02-10 10:00",
     "Q1:resolved.onTime Jan:pending.late Feb:resolved.onTime"),
    ("stopped", 2, "1.004873", "counter", "2026-03-11 09:00", "process +20; requestSupplement 2026-03-12 09:00; stop 2026-03-27 10:00; close",
     "Q1:resolved.onTime"),
    ("stopped-late", 0, "1.000894", "counter", "2026-02-02 10:00", "prep; stop 2026-03-02 09:00; close", "Q1:resolved.onTime Feb:pending.late"),
    ("refused", 0, "2.000884", "counter", "2026-02-10 09:00", "refuse +10; return +5", "Q1:resolved.onTime"),
    ("refused", 1, "1.013978", "counter", "2026-03-17 09:00", "refuse +30", "Q1:resolved.onTime"),
    ("refused", 2, "1.001193", "counter", "2026-01-22 16:00", "refuse +15; return +10", "Q1:resolved.onTime"),
    ("no-deadline", 0, "2.000815", "counter", "2026-03-31 16:30", "process +10; resolve 2026-04-01 08:00; close",
     "Q1:pending.withinTime D31:pending.withinTime"),
    ("no-deadline", 1, "2.000815", "counter", "2026-01-13 09:00", "process +5; resolve 2026-01-15 10:00; close", "Q1:resolved.onTime"),
    ("working-hours", 0, "2.000884", "counter", "2026-03-10 15:30", "process +10; resolve 2026-03-11 07:20; close", "Q1:resolved.onTime"),
    ("working-hours", 1, "2.000884", "counter", "2026-03-10 10:00", "process +10; resolve 2026-03-10 16:50; close", "Q1:resolved.onTime"),
    ("working-hours", 2, "2.000884", "counter", "2026-02-12 16:00", "process +10; resolve 2026-02-23 09:00; close",
     "Q1:resolved.late Tet:pending.late"),
    ("calendar-days", 1, "1.012812", "online", "2026-02-01 10:00", "process +20; resolve 2026-03-04 16:00; close", "Q1:resolved.onTime"),
    ("calendar-days", 2, "1.012812", "counter", "2026-01-16 09:00", "process +20; resolve 2026-02-23 10:00; close", "Q1:resolved.onTime"),
    ("calendar-days", 1, "1.012812", "counter", "2026-02-10 14:00", "process +20; resolve 2026-03-13 09:00; close", "Q1:resolved.late"),
    ("district-pending", 0, "1.001776", "counter", "2026-03-16 09:00", "prep; resolve 2026-04-10 10:00; close", "Q1:pending.withinTime"),
    ("district-pending", 1, "1.001612", "counter", "2026-03-31 10:00",
     "process +20; forward 2026-03-31 15:00; accept 2026-04-01 08:00; process +30; resolve 2026-04-02 10:00; close",
     "Q1:pending.withinTime D31:pending.withinTime"),
    ("district-pending", 2, "1.013978", "counter", "2026-02-02 09:00", "prep; resolve 2026-04-07 10:00; close", "Q1:pending.late"),
    ("pending-within-time", 2, "1.000894", "counter", "2026-03-30 09:00", "prep; resolve 2026-04-03 10:00; close", "Q1:pending.withinTime"),
    ("pending-late", 1, "1.000656", "counter", "2026-03-25 09:00", "prep; resolve 2026-04-02 10:00; close", "Q1:pending.late"),
    ("pending-late", 0, "1.001193", "counter", "2026-03-30 10:00", "process +20; resolve 2026-04-01 09:00; close",
     "Q1:pending.late D31:pending.late"),
    ("resolved-early", 0, "1.000894", "post", "2026-01-26 09:00", "prep; resolve early; close", "Q1:resolved.early"),
    ("resolved-on-time", 2, "1.000656", "counter", "2026-02-09 14:00", "prep; resolve onTime; close", "Q1:resolved.onTime"),
    ("resolved-late", 1, "1.004873", "counter", "2026-03-02 10:00", "prep; resolve late; close", "Q1:resolved.late"),
    ("resolved-refused-decision", 2, "1.000894", "counter", "2026-01-13 10:00", "prep; resolve onTime refused; close", "Q1:resolved.onTime"),
    ("april-excluded", 0, "1.001193", "counter", "2026-04-02 09:00", "process +20; resolve +240; close", "Q1:skip"),
    ("april-excluded", 1, "1.013978", "counter", "2026-04-20 09:00", "prep", "Q1:skip"),
    ("april-excluded", 2, "1.001612", "online", "2026-04-25 20:00", "", "Q1:skip"),
]


def build_case(world, rng, case):
    """One hand-written dossier, with all its steps inside the horizon."""
    tag, commune, code, channel, at, steps, _ = case
    b = Builder(world, COMMUNES[commune]["agency"], code, channel, parse_at(at), tag)
    for step in filter(None, (s.strip() for s in steps.split(";"))):
        words = step.split()
        if step in ("prep", "close"):
            getattr(b, step)(rng)
            continue
        if words[1].startswith("+"):
            when, rest = b.after(int(words[1][1:])), words[2:]
        elif words[1] in ("early", "onTime", "late"):
            when, rest = b.resolve_time(words[1], rng), words[2:]
        else:
            when, rest = parse_at(f"{words[1]} {words[2]}"), words[3:]
        extra = {"until": rest[0]} if words[0] == "extend" else {"approved": rest != ["refused"]} if words[0] == "resolve" else {}
        b.do(words[0], when, **extra)
    assert not b.closed, f"{tag}: a step is after the horizon"
    return b


def random_dossier(world, rng, commune):
    """One dossier of the everyday mix: procedure, channel, receive time and outcome drawn at random."""
    cal = world.cal
    code = rng.choices(list(PROCEDURE_WEIGHTS), list(PROCEDURE_WEIGHTS.values()))[0]
    channel = "counter" if code.startswith("2.") else rng.choices(["counter", "online", "post"], [72, 22, 6])[0]
    r = rng.random()
    lo, hi = ("2025-12-01", "2025-12-31") if r < 0.07 else ("2026-04-01", "2026-04-28") if r > 0.96 else ("2026-01-01", "2026-03-31")
    day = date.fromisoformat(lo) + timedelta(days=rng.randint(0, (date.fromisoformat(hi) - date.fromisoformat(lo)).days))
    if channel == "online" and rng.random() < 0.5:
        at = cal.at(day, rng.randint(6 * 60, 23 * 60))
    else:
        at = cal.at(day if cal.is_working(day) else cal.next_working(day), rng.choice(cal.office_minutes))
    b = Builder(world, commune, code, channel, at, None)
    no_deadline = world.duration(code, channel)["kind"] == "none"
    outcome = "early" if no_deadline else rng.choices(list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values()))[0]
    features = []
    if outcome == "refused":
        b.do("refuse", b.after(rng.randint(5, 40)))
        if rng.random() < 0.7:
            b.do("return", b.after(rng.randint(1, 20)))
    elif outcome == "withdrawn":
        b.do("process", b.after(rng.randint(5, 90)))
        b.do("withdraw", b.after(rng.randint(60, 4800)))
    elif outcome == "stopped":
        b.prep(rng)
        b.do("stop", b.after(rng.randint(240, 7200)))
        b.close(rng)
    else:
        b.prep(rng)
        if outcome == "supplement":
            features.append("supplement")
            b.do("requestSupplement", b.after(rng.randint(60, 1440)))
            if rng.random() < 0.7:
                b.do("supplementReceived", b.after(rng.randint(480, 7200)))
                b.do("process", b.after(rng.randint(5, 60)))
            outcome = rng.choice(["early", "early", "onTime", "late"])
        elif outcome == "extended":
            features.append("extended")
            when, appointment = b.after(rng.randint(30, 960)), facts(world, b.json).appointment
            until = cal.next_working(max(when.date(), appointment.date()))
            for _ in range(rng.randint(0, 4)):
                until = cal.next_working(until)
            b.do("extend", when, until=until.isoformat())
            outcome = rng.choice(["onTime", "late", "late"])
        if b.status != "supplementRequested":
            b.do("resolve", b.resolve_time(outcome, rng), approved=rng.random() > 0.05)
            if rng.random() < 0.85:
                b.close(rng)
    b.json["case"] = "-".join(["routine"] + features + [result_of(world, b.json)])
    return b


def result_of(world, d):
    """How a dossier ended, for its tag: early / on-time / late / no-deadline, the finishing op, or pending."""
    f = facts(world, d)
    if f.finish is None:
        return "waiting" if f.supplements and f.supplements[-1][1] == "requestSupplement" else "pending"
    if f.finish[1] != "resolve":
        return f.finish[1]
    deadline = [dl for since, dl in f.deadlines if since < f.finish[0]][-1]
    if deadline is None:
        return "no-deadline"
    return ["early", "on-time", "late"][(f.finish[0].date() > deadline.date()) + (f.finish[0].date() >= deadline.date())]


def classify(world, d, start, end, f=None):
    """(received class, group, kind) of a dossier in the period [start, end), or None when not counted."""
    f = f or facts(world, d)
    if f.received >= end or (f.finish and f.finish[0] < start):
        return None
    received = ("online" if d["channel"] == "online" else "counterOrPost") if f.received >= start else "carriedOver"
    moment = f.finish[0] if f.finish and f.finish[0] < end else end
    deadline = [dl for since, dl in f.deadlines if since < moment][-1]
    if moment < end:
        if f.finish[1] != "resolve" or deadline is None:
            return received, "resolved", "onTime"
        a, b = f.finish[0].date(), deadline.date()
        return received, "resolved", "early" if a < b else "onTime" if a == b else "late"
    supplements = [kind for t, kind in f.supplements if t < end]
    if (supplements and supplements[-1] == "requestSupplement") or deadline is None:
        return received, "pending", "withinTime"
    return received, "pending", "late" if deadline.date() < end.date() else "withinTime"


def empty_counts():
    return {"received": dict.fromkeys(["total", "online", "counterOrPost", "carriedOver"], 0),
            "resolved": dict.fromkeys(["total", "early", "onTime", "late"], 0),
            "pending": dict.fromkeys(["total", "withinTime", "late"], 0)}


def report(world, dossiers, spec, cache):
    """The rows and total of Biểu II.06a for one period and filter."""
    start = datetime.combine(date.fromisoformat(spec["from"]), time())
    end = datetime.combine(date.fromisoformat(spec["to"]) + timedelta(days=1), time())
    rows, total = {}, empty_counts()
    for d in dossiers:
        field = world.procs[d["procedure"]]["field"]["code"]
        if (spec["commune"] and d["commune"] != spec["commune"]) or (spec["field"] and field != spec["field"]):
            continue
        counted = classify(world, d, start, end, cache[d["code"]])
        if counted is None:
            continue
        received, group, kind = counted
        for counts in (rows.setdefault((d["commune"], field), empty_counts()), total):
            counts["received"][received] += 1
            counts["received"]["total"] += 1
            counts[group][kind] += 1
            counts[group]["total"] += 1
    for counts in list(rows.values()) + [total]:
        r = counts["received"]
        assert r["total"] == r["online"] + r["counterOrPost"] + r["carriedOver"] == counts["resolved"]["total"] + counts["pending"]["total"]
        assert counts["resolved"]["total"] == sum(counts["resolved"].values()) - counts["resolved"]["total"]
        assert counts["pending"]["total"] == counts["pending"]["withinTime"] + counts["pending"]["late"]
    return {**spec, "rows": [{"commune": c, "field": fc, **rows[(c, fc)]} for c, fc in sorted(rows)], "total": total}


def assign_codes(world, builders):
    """Orders dossiers by receive time and gives each its code <agency>-<YYMMDD>-<NNNN>."""
    builders.sort(key=lambda b: facts(world, b.json).received)
    counters = Counter()
    for b in builders:
        received = facts(world, b.json).received
        counters[(b.json["commune"], received.date())] += 1
        b.json["code"] = f"{b.json['commune']}-{received:%y%m%d}-{counters[(b.json['commune'], received.date())]:04d}"
    return [b.json for b in builders]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=ROOT / "Tests" / "Fixtures" / "report-06a")
    args = parser.parse_args()
    world, rng = World(), random.Random(args.seed)
    generator = f"python3 Scripts/make-report-fixture.py --seed {args.seed}"

    builders = [build_case(world, rng, case) for case in CASES]
    for commune in COMMUNES:
        have = sum(b.json["commune"] == commune["agency"] for b in builders)
        builders += [random_dossier(world, rng, commune["agency"]) for _ in range(100 - have)]
    expectations = [(b.json, case[6]) for b, case in zip(builders, CASES)]
    dossiers = assign_codes(world, builders)
    cache = {d["code"]: facts(world, d) for d in dossiers}

    for d, expected in expectations:  # every hand-written dossier falls where it was meant to
        for item in expected.split():
            name, want = item.split(":")
            start, to = (date.fromisoformat(x) for x in PERIODS[name])
            got = classify(world, d, datetime.combine(start, time()), datetime.combine(to + timedelta(days=1), time()))
            got = "skip" if got is None else f"{got[1]}.{got[2]}"
            assert got == want, f"{d['code']} ({d['case']}) in {name}: {got}, meant {want}"
    required = {c[0] for c in CASES}
    tags = Counter(d["case"] for d in dossiers)
    assert required <= set(tags), required - set(tags)

    def spec(period, commune=None, field=None):
        return {"from": PERIODS[period][0], "to": PERIODS[period][1], "commune": commune, "field": field}

    specs = ([spec("Q1"), spec("Jan"), spec("Feb"), spec("Mar")] + [spec("Q1", c["agency"]) for c in COMMUNES]
             + [spec("Q1", None, "ho-tich"), spec("Q1", "23062", "dat-dai"), spec("D31"), spec("Tet")])
    scenario = {
        "about": ("Kịch bản có gieo hạt cho Biểu II.06a: 300 hồ sơ tiếp nhận tại 3 xã, thị trấn của huyện Hàm Thuận Bắc "
                  "từ tháng 12/2025 đến tháng 4/2026 / A seeded scenario for report form II.06a: 300 dossiers at three "
                  "communes, December 2025 to April 2026; expected.json holds the figures computed independently in Python."),
        "generator": generator, "calendar": CALENDAR, "procedures": PROCEDURES, "district": DISTRICT, "communes": COMMUNES,
        "dossiers": dossiers, "reports": specs}
    reports = [report(world, dossiers, s, cache) for s in specs]
    q1 = reports[0]["total"]
    assert all(q1[g][k] > 0 for g in q1 for k in q1[g]), f"a Q1 figure is zero: {q1}"
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in (("scenario.json", scenario), ("expected.json", {"generator": generator, "reports": reports})):
        (args.out / name).write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    print(f"wrote {args.out}/scenario.json and expected.json ({len(dossiers)} dossiers, {len(reports)} reports)")
    print("per commune:", dict(sorted(Counter(d["commune"] for d in dossiers).items())))
    print("per case:")
    for tag, n in sorted(tags.items()):
        print(f"  {tag:34} {n}")
    print("Q1 total:", json.dumps(q1))


if __name__ == "__main__":
    main()
