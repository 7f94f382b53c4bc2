#!/usr/bin/env python3
"""Checks LienThong's working calendar and procedure catalogue against the rules the Swift code relies on.

Python's standard library only. Reads, relative to the repository root:
- Config/calendar/vn-2025-2027.json   the working calendar of Vietnamese state agencies
- Config/procedures/commune-2025.json the catalogue of commune-level administrative procedures

    python3 Scripts/check-config.py              # check both files; exit 0 if ok, 1 listing every problem
    python3 Scripts/check-config.py --lunar 2027 # the Vietnamese lunar dates of a year and its
                                                 # statutory days off (how the provisional 2027 was made)

Calendar rules: exact keys; office hours add up to 8 working hours; years ascending and unique; every
date ISO yyyy-mm-dd, inside its year, dates strictly ascending; `daysOff` only weekdays (Mon-Fri),
`workingDays` (make-up days, "làm bù") only weekend days and none in a provisional year; no date in
both; every statutory holiday (Bộ luật Lao động 2019, Điều 112) that falls on a weekday is a day off.

Catalogue rules: exact keys; codes match ^[0-9A-Za-z.-]{1,32}$ and are unique; duration kinds
workingDays | workingHours | calendarDays | none (value a positive integer, absent for none);
onlineDuration only where it differs; supplement pause | restart; decidingLevel commune | district |
province; step ids unique, hours positive integers summing to days x 8 (workingDays) or to the hours
(workingHours), and for calendarDays to at most the working hours the shortest such span can hold.
Every string must be in Unicode NFC, as the event log's canonical form requires.

Lunar calendar: Hồ Ngọc Đức's algorithm (astronomical new moons and solar terms, after Jean Meeus,
"Astronomical Algorithms"), computed at UTC+7, which is what the Vietnamese calendar uses.
"""
import datetime as dt
import json
import math
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALENDAR = ROOT / "Config" / "calendar" / "vn-2025-2027.json"
PROCEDURES = ROOT / "Config" / "procedures" / "commune-2025.json"

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
VN_WEEKDAYS = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]
HOURS_A_DAY = 8
TIME_ZONE = 7.0  # the Vietnamese lunar calendar is computed at UTC+7

# ---------------------------------------------------------------- lunar calendar (Hồ Ngọc Đức)


def _jd_from_date(d, m, y):
    a = (14 - m) // 12
    y2 = y + 4800 - a
    m2 = m + 12 * a - 3
    jd = d + (153 * m2 + 2) // 5 + 365 * y2 + y2 // 4 - y2 // 100 + y2 // 400 - 32045
    if jd < 2299161:
        jd = d + (153 * m2 + 2) // 5 + 365 * y2 + y2 // 4 - 32083
    return jd


def _new_moon(k):
    """Julian day (UT) of the k-th new moon after 1900-01-01."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 = c1 - 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(dr * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def _sun_longitude(jdn):
    """The sun's apparent longitude (radians, 0..2pi) at Julian day jdn (UT)."""
    t = (jdn - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    lon = (l0 + dl) * dr
    return lon - math.pi * 2 * math.floor(lon / (math.pi * 2))


def _sun_sector(day_number):
    return math.floor(_sun_longitude(day_number - 0.5 - TIME_ZONE / 24) / math.pi * 6)


def _new_moon_day(k):
    return math.floor(_new_moon(k) + 0.5 + TIME_ZONE / 24)


def _lunar_month_11(year):
    """Day number of the start of the 11th lunar month (the one holding the winter solstice)."""
    off = _jd_from_date(31, 12, year) - 2415021
    k = math.floor(off / 29.530588853)
    nm = _new_moon_day(k)
    if _sun_sector(nm) >= 9:
        nm = _new_moon_day(k - 1)
    return nm


def _leap_month_offset(a11):
    k = math.floor((a11 - 2415021.076998695) / 29.530588853 + 0.5)
    i = 1
    arc = _sun_sector(_new_moon_day(k + i))
    while True:
        last = arc
        i += 1
        arc = _sun_sector(_new_moon_day(k + i))
        if arc == last or i >= 14:
            break
    return i - 1


def solar_to_lunar(day):
    """(lunar day, lunar month, lunar year, leap) of a datetime.date, Vietnamese calendar."""
    day_number = _jd_from_date(day.day, day.month, day.year)
    k = math.floor((day_number - 2415021.076998695) / 29.530588853)
    month_start = _new_moon_day(k + 1)
    if month_start > day_number:
        month_start = _new_moon_day(k)
    a11 = _lunar_month_11(day.year)
    b11 = a11
    if a11 >= month_start:
        lunar_year = day.year
        a11 = _lunar_month_11(day.year - 1)
    else:
        lunar_year = day.year + 1
        b11 = _lunar_month_11(day.year + 1)
    lunar_day = day_number - month_start + 1
    diff = math.floor((month_start - a11) / 29)
    leap = False
    lunar_month = diff + 11
    if b11 - a11 > 365:
        leap_diff = _leap_month_offset(a11)
        if diff >= leap_diff:
            lunar_month = diff + 10
            leap = diff == leap_diff
    if lunar_month > 12:
        lunar_month -= 12
    if lunar_month >= 11 and diff < 4:
        lunar_year -= 1
    return lunar_day, lunar_month, lunar_year, leap


def lunar_to_solar(lunar_day, lunar_month, lunar_year):
    """The solar date of a non-leap lunar date (searching the solar year and the one after)."""
    day = dt.date(lunar_year, 1, 1)
    while day.year <= lunar_year + 1:
        if solar_to_lunar(day) == (lunar_day, lunar_month, lunar_year, False):
            return day
        day += dt.timedelta(days=1)
    raise ValueError(f"no solar date for {lunar_day}/{lunar_month}/{lunar_year}")


CAN = ["Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý"]
CHI = ["Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi"]


def year_name(lunar_year):
    return f"{CAN[(lunar_year + 6) % 10]} {CHI[(lunar_year + 8) % 12]}"


# Dates published in the official notices for 2025 and 2026 (see the calendar's sources): the lunar
# code must reproduce them before anything it says about 2027 is believed.
KNOWN_LUNAR = [
    (dt.date(2025, 1, 25), (26, 12, 2024)),  # 26 tháng Chạp Giáp Thìn
    (dt.date(2025, 1, 29), (1, 1, 2025)),    # mùng 1 Tết Ất Tỵ
    (dt.date(2025, 2, 2), (5, 1, 2025)),     # mùng 5 tháng Giêng Ất Tỵ
    (dt.date(2025, 4, 7), (10, 3, 2025)),    # Giỗ Tổ Hùng Vương 2025
    (dt.date(2026, 2, 14), (27, 12, 2025)),  # 27 tháng Chạp Ất Tỵ
    (dt.date(2026, 2, 17), (1, 1, 2026)),    # mùng 1 Tết Bính Ngọ
    (dt.date(2026, 2, 22), (6, 1, 2026)),    # mùng 6 tháng Giêng Bính Ngọ
    (dt.date(2026, 4, 26), (10, 3, 2026)),   # Giỗ Tổ Hùng Vương 2026
]


def lunar_self_test():
    return [f"lunar: {day} computed as {solar_to_lunar(day)[:3]}, published as {want}"
            for day, want in KNOWN_LUNAR if solar_to_lunar(day)[:3] != want]


def lunar_label(day):
    d, m, _, leap = solar_to_lunar(day)
    month = {1: "tháng Giêng", 12: "tháng Chạp"}.get(m, f"tháng {m}") + (" nhuận" if leap else "")
    return f"mùng {d} {month}" if d <= 10 else f"{d} {month}"


def statutory_days_off(year):
    """The statutory holidays of a year and their compensatory days (Bộ luật Lao động 2019, Điều 112),
    as daysOff entries, before any swap the Government may announce. Tết: lunar new year's eve and
    the next four days. Quốc khánh: 2/9 and one adjacent day, which the Government picks each year;
    here 1/9 when 2/9 is a Tuesday, Wednesday (as in 2025 and 2026), Friday or Saturday, else 3/9.
    A holiday on a Saturday or Sunday gives a day off on the next working day (Điều 112 khoản 3)."""
    tet = lunar_to_solar(1, 1, year)
    eve = tet - dt.timedelta(days=1)
    eve_name = f"Tết Nguyên đán ({lunar_label(eve)} {year_name(year - 1)}, giao thừa)"
    holidays = [(dt.date(year, 1, 1), "Tết Dương lịch"), (eve, eve_name)]
    for i in range(4):
        day = tet + dt.timedelta(days=i)
        holidays.append((day, f"Tết Nguyên đán ({lunar_label(day)} {year_name(year)})"))
    holidays.append((lunar_to_solar(10, 3, year), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"))
    holidays.append((dt.date(year, 4, 30), "Ngày Chiến thắng (30/4)"))
    holidays.append((dt.date(year, 5, 1), "Ngày Quốc tế Lao động (1/5)"))
    national = dt.date(year, 9, 2)
    adjacent = national + dt.timedelta(days=-1 if national.weekday() in (1, 2, 4, 5) else 1)
    holidays.append((national, "Quốc khánh (2/9)"))
    holidays.append((adjacent, f"Quốc khánh (ngày liền kề {'trước' if adjacent < national else 'sau'} 2/9)"))
    holidays.sort()
    taken = {day for day, _ in holidays}
    days_off = []
    for day, name in holidays:
        if day.weekday() < 5:
            days_off.append((day, name))
            continue
        substitute = day + dt.timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in taken:
            substitute += dt.timedelta(days=1)
        taken.add(substitute)
        days_off.append((substitute, f"Nghỉ bù: {name} trùng {VN_WEEKDAYS[day.weekday()]} "
                                     f"{day.strftime('%d/%m/%Y')}"))
    days_off.sort()
    return [{"date": day.isoformat(), "name": name} for day, name in days_off]


def statutory_weekday_holidays(year):
    """Statutory holidays that certainly fall on a weekday, each must be a day off whatever the swaps:
    1/1, lunar new year's day, 10/3 lunar, 30/4, 1/5, 2/9."""
    days = [dt.date(year, 1, 1), lunar_to_solar(1, 1, year), lunar_to_solar(10, 3, year),
            dt.date(year, 4, 30), dt.date(year, 5, 1), dt.date(year, 9, 2)]
    return [day for day in days if day.weekday() < 5]


def print_lunar(year):
    problems = lunar_self_test()
    for problem in problems:
        print(problem)
    tet = lunar_to_solar(1, 1, year)
    hung = lunar_to_solar(10, 3, year)
    eve = tet - dt.timedelta(days=1)
    print(f"lunar year {year_name(year)}: new year's day (mùng 1 Tết) {tet} ({WEEKDAYS[tet.weekday()]}); "
          f"new year's eve ({lunar_label(eve)}) {eve}; 10/3 âm lịch {hung} ({WEEKDAYS[hung.weekday()]})")
    print(json.dumps(statutory_days_off(year), ensure_ascii=False, indent=2))
    return 1 if problems else 0

# ---------------------------------------------------------------- checks


class Problems(list):
    def add(self, where, message):
        self.append(f"{where}: {message}")


def nfc_problems(value, where, problems):
    if isinstance(value, str):
        if unicodedata.normalize("NFC", value) != value:
            problems.add(where, "string is not in Unicode NFC")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            nfc_problems(item, f"{where}[{i}]", problems)
    elif isinstance(value, dict):
        for key, item in value.items():
            nfc_problems(key, f"{where} key", problems)
            nfc_problems(item, f"{where}.{key}", problems)


def check_keys(obj, where, required, optional, problems):
    if not isinstance(obj, dict):
        problems.add(where, "must be an object")
        return False
    for key in sorted(set(required) - obj.keys()):
        problems.add(where, f"missing key {key!r}")
    for key in sorted(obj.keys() - set(required) - set(optional)):
        problems.add(where, f"unknown key {key!r}")
    return True


def nonempty_string(value, where, problems):
    if not isinstance(value, str) or not value.strip():
        problems.add(where, "must be a non-empty string")
        return False
    return True


def positive_int(value, where, problems):
    if type(value) is not int or value <= 0:
        problems.add(where, f"must be a positive integer, not {value!r}")
        return False
    return True


def parse_date(text, where, problems):
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        problems.add(where, f"date must be yyyy-mm-dd, not {text!r}")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.add(where, f"{text} is not a date")
        return None


def minutes(text, where, problems):
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", text) if isinstance(text, str) else None
    if not match:
        problems.add(where, f"time must be HH:MM, not {text!r}")
        return None
    return int(match[1]) * 60 + int(match[2])


def check_dated_list(entries, where, year, problems):
    """The {date, name} entries of one list, in order: returns [(date, name)] for those that parse."""
    out = []
    if not isinstance(entries, list):
        problems.add(where, "must be an array")
        return out
    previous = None
    for i, entry in enumerate(entries):
        here = f"{where}[{i}]"
        if not check_keys(entry, here, ["date", "name"], [], problems):
            continue
        nonempty_string(entry.get("name"), f"{here}.name", problems)
        day = parse_date(entry.get("date"), f"{here}.date", problems)
        if day is None:
            continue
        if day.year != year:
            problems.add(here, f"{day} is not in {year}")
        if previous is not None and day <= previous:
            problems.add(here, f"{day} is not after {previous}: dates must be sorted and unique")
        previous = day
        out.append((day, entry.get("name")))
    return out


def check_calendar(cal, problems):
    where = "calendar"
    if not check_keys(cal, where, ["calendar", "version", "timeZone", "about", "officeHours",
                                   "weekendDays", "years"], [], problems):
        return None
    for key in ("calendar", "version", "about"):
        nonempty_string(cal.get(key), f"{where}.{key}", problems)
    if cal.get("timeZone") != "Asia/Ho_Chi_Minh":
        problems.add(f"{where}.timeZone", f"must be Asia/Ho_Chi_Minh, not {cal.get('timeZone')!r}")
    hours = cal.get("officeHours")
    if not isinstance(hours, list) or not hours:
        problems.add(f"{where}.officeHours", "must be a non-empty array")
    else:
        total, end = 0, -1
        for i, span in enumerate(hours):
            here = f"{where}.officeHours[{i}]"
            if not check_keys(span, here, ["from", "to"], [], problems):
                continue
            start, stop = minutes(span.get("from"), here, problems), minutes(span.get("to"), here, problems)
            if start is None or stop is None:
                continue
            if start <= end or stop <= start:
                problems.add(here, "spans must be ascending, non-empty and not overlap")
            total += stop - start
            end = stop
        if total != HOURS_A_DAY * 60:
            problems.add(f"{where}.officeHours", f"add up to {total} minutes, not {HOURS_A_DAY} hours")
    weekend = cal.get("weekendDays")
    if (not isinstance(weekend, list) or not weekend or len(set(weekend)) != len(weekend)
            or not all(day in WEEKDAYS for day in weekend)):
        problems.add(f"{where}.weekendDays", f"must be distinct names from {WEEKDAYS}")
        weekend = ["saturday", "sunday"]
    weekend_numbers = {WEEKDAYS.index(day) for day in weekend}
    years = cal.get("years")
    if not isinstance(years, list) or not years:
        problems.add(f"{where}.years", "must be a non-empty array")
        return None
    previous, provisional = None, 0
    for i, entry in enumerate(years):
        here = f"{where}.years[{i}]"
        if not check_keys(entry, here, ["year", "status", "source", "daysOff", "workingDays"], [], problems):
            continue
        year = entry.get("year")
        if not positive_int(year, f"{here}.year", problems):
            continue
        here = f"{where}.{year}"
        if previous is not None and year <= previous:
            problems.add(here, f"years must be ascending and unique ({year} after {previous})")
        previous = year
        status = entry.get("status")
        if status not in ("announced", "provisional"):
            problems.add(f"{here}.status", f"must be announced or provisional, not {status!r}")
        provisional += status == "provisional"
        nonempty_string(entry.get("source"), f"{here}.source", problems)
        off = check_dated_list(entry.get("daysOff"), f"{here}.daysOff", year, problems)
        work = check_dated_list(entry.get("workingDays"), f"{here}.workingDays", year, problems)
        for day, _ in off:
            if day.weekday() in weekend_numbers:
                problems.add(f"{here}.daysOff", f"{day} is a {WEEKDAYS[day.weekday()]}: list weekdays only")
        for day, _ in work:
            if day.weekday() not in weekend_numbers:
                problems.add(f"{here}.workingDays", f"{day} is a {WEEKDAYS[day.weekday()]}, not a weekend day")
        for day in sorted({d for d, _ in off} & {d for d, _ in work}):
            problems.add(here, f"{day} is both a day off and a working day")
        if status == "provisional" and work:
            problems.add(f"{here}.workingDays", "a provisional year has no swaps (they are not announced)")
        if len(work) > len(off):
            problems.add(here, "more make-up working days than days off")
        listed = {d for d, _ in off}
        for day in statutory_weekday_holidays(year):
            if day not in listed:
                problems.add(f"{here}.daysOff", f"statutory holiday {day} ({WEEKDAYS[day.weekday()]}) missing")
    return len(years), provisional


DURATION_KINDS = ("workingDays", "workingHours", "calendarDays", "none")


def check_duration(duration, where, problems):
    if not check_keys(duration, where, ["kind"], ["value"], problems):
        return False
    kind = duration.get("kind")
    if kind not in DURATION_KINDS:
        problems.add(f"{where}.kind", f"must be one of {DURATION_KINDS}, not {kind!r}")
        return False
    if kind == "none":
        if "value" in duration:
            problems.add(where, "kind none takes no value")
            return False
        return True
    if "value" not in duration:
        problems.add(where, f"kind {kind} needs a value")
        return False
    return positive_int(duration["value"], f"{where}.value", problems)


def fewest_weekdays(calendar_days):
    """The fewest weekdays any span of that many consecutive calendar days holds."""
    weeks, rest = divmod(calendar_days, 7)
    return 5 * weeks + max(0, rest - 2)


def check_procedures(cat, problems):
    where = "procedures"
    if not check_keys(cat, where, ["catalogue", "version", "about", "source", "procedures"], [], problems):
        return None
    for key in ("catalogue", "version", "about", "source"):
        nonempty_string(cat.get(key), f"{where}.{key}", problems)
    procedures = cat.get("procedures")
    if not isinstance(procedures, list) or not procedures:
        problems.add(f"{where}.procedures", "must be a non-empty array")
        return None
    codes = set()
    for i, proc in enumerate(procedures):
        here = f"{where}[{i}]"
        if not check_keys(proc, here, ["code", "name", "field", "decidingLevel", "duration", "supplement",
                                       "steps", "documents", "legalBasis"], ["onlineDuration"], problems):
            continue
        code = proc.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"[0-9A-Za-z.\-]{1,32}", code):
            problems.add(f"{here}.code", f"must match ^[0-9A-Za-z.-]{{1,32}}$, not {code!r}")
        else:
            here = f"{where} {code}"
            if code in codes:
                problems.add(here, "duplicate code")
            codes.add(code)
        nonempty_string(proc.get("name"), f"{here}.name", problems)
        nonempty_string(proc.get("legalBasis"), f"{here}.legalBasis", problems)
        field = proc.get("field")
        if check_keys(field, f"{here}.field", ["code", "name"], [], problems):
            if not isinstance(field.get("code"), str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", field["code"]):
                problems.add(f"{here}.field.code", "must be lowercase words joined by '-'")
            nonempty_string(field.get("name"), f"{here}.field.name", problems)
        if proc.get("decidingLevel") not in ("commune", "district", "province"):
            problems.add(f"{here}.decidingLevel", f"must be commune, district or province, "
                                                  f"not {proc.get('decidingLevel')!r}")
        if proc.get("supplement") not in ("pause", "restart"):
            problems.add(f"{here}.supplement", f"must be pause or restart, not {proc.get('supplement')!r}")
        duration = proc.get("duration")
        duration_ok = check_duration(duration, f"{here}.duration", problems)
        if "onlineDuration" in proc:
            if check_duration(proc["onlineDuration"], f"{here}.onlineDuration", problems) \
                    and proc["onlineDuration"] == duration:
                problems.add(f"{here}.onlineDuration", "equals duration: include it only where it differs")
        documents = proc.get("documents")
        if not isinstance(documents, list) or not documents:
            problems.add(f"{here}.documents", "must be a non-empty array")
        else:
            for j, document in enumerate(documents):
                nonempty_string(document, f"{here}.documents[{j}]", problems)
        steps = proc.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.add(f"{here}.steps", "must be a non-empty array")
            continue
        total, ids, steps_ok = 0, set(), True
        for j, step in enumerate(steps):
            there = f"{here}.steps[{j}]"
            if not check_keys(step, there, ["id", "name", "hours"], [], problems):
                steps_ok = False
                continue
            sid = step.get("id")
            if not isinstance(sid, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", sid):
                problems.add(f"{there}.id", "must be lowercase words joined by '-'")
            elif sid in ids:
                problems.add(f"{there}.id", f"duplicate step id {sid!r}")
            ids.add(sid)
            nonempty_string(step.get("name"), f"{there}.name", problems)
            if positive_int(step.get("hours"), f"{there}.hours", problems):
                total += step["hours"]
            else:
                steps_ok = False
        if not (duration_ok and steps_ok):
            continue
        kind, value = duration["kind"], duration.get("value")
        if kind == "workingDays" and total != value * HOURS_A_DAY:
            problems.add(f"{here}.steps", f"hours add up to {total}, not {value} x {HOURS_A_DAY} = {value * HOURS_A_DAY}")
        elif kind == "workingHours" and total != value:
            problems.add(f"{here}.steps", f"hours add up to {total}, not {value}")
        elif kind == "calendarDays" and total > fewest_weekdays(value) * HOURS_A_DAY:
            problems.add(f"{here}.steps", f"hours add up to {total}, more than the "
                                          f"{fewest_weekdays(value) * HOURS_A_DAY} working hours {value} calendar days may hold")
    return len(procedures)


def load(path, problems):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        problems.add(path.relative_to(ROOT).as_posix(), f"cannot be read: {error}")
        return None


def main(argv):
    if len(argv) == 3 and argv[1] == "--lunar" and argv[2].isdigit():
        return print_lunar(int(argv[2]))
    if len(argv) != 1:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    problems = Problems(lunar_self_test())
    cal, cat = load(CALENDAR, problems), load(PROCEDURES, problems)
    counts = procedure_count = None
    if cal is not None:
        nfc_problems(cal, "calendar", problems)
        counts = check_calendar(cal, problems)
    if cat is not None:
        nfc_problems(cat, "procedures", problems)
        procedure_count = check_procedures(cat, problems)
    for problem in problems:
        print(problem)
    if problems or counts is None or procedure_count is None:
        print(f"config: {len(problems)} problem(s)")
        return 1
    years, provisional = counts
    print(f"config: calendar {cal['calendar']} {cal['version']} ({years} years, {provisional} provisional), "
          f"{procedure_count} procedures — ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
