#!/usr/bin/env python3
"""Helper of Scripts/schemathesis.sh: seeds a running node, plans and summarises schemathesis runs,
and (imported by schemathesis as its hooks module, SCHEMATHESIS_HOOKS=schemathesis_site) steers
generated values toward real data.

  schemathesis_site.py seed API_URL TOKEN_FILE      # receives dossiers, moves some on; prints codes
  schemathesis_site.py plan SPEC CASES              # --max-examples for >= CASES generated cases
  schemathesis_site.py summary NAME JSON NDJSON...  # one line: cases, failures by check; exit 1 on any

Its hook (before_call, so every phase) only swaps a generated value for one that the document
(LIENTHONG_ST_SPEC) judges the same way, checked with its JSON Schema, so positive cases stay
positive and negative ones negative:
  - path {code} (local API) and query code/id (GET /v1/lookup): half the time a seeded dossier's
    code (and, for the lookup, the right last four digits), so the 200 answers are exercised;
  - body actor / procedure / to (a staff id, a catalogue procedure, a staff id or an agency to
    forward to): only this site's configuration makes them right, so a body the document calls
    valid always gets real ones (an invalid body half the time); likewise `extend`'s `until` (a
    working day after today by the node's calendar), and a valid `process` loses its `step` (a
    step id of the dossier's procedure); POST /v1/dossiers half the time gets the fields
    the node needs (applicant, idNumber, phone, address, documents);
  - hub POST bodies: a float without fraction (2.0) is sent as the integer it equals (the hub's
    canonical JSON refuses 2.0 by design; JSON Schema counts it as an integer);
  - Idempotency-Key: a valid key (1-255 visible ASCII) becomes one derived from the request, so
    another request never reuses a key (the node's 422) and writes really happen;
  - GET /v1/sync/pull wait: a wait from 1 to 2^63-1 becomes 0. The hub long-polls up to
    maxWaitSeconds (30 s) per request otherwise.
Only the Python standard library is used outside the hooks.
"""
from __future__ import annotations

import base64
import json
import math
import os
import sys
import urllib.error
import urllib.request
import uuid

ID_NUMBER = "060185004321"  # every seeded applicant's; GET /v1/lookup takes its last four digits


# --------------------------------------------------------------------------------------------
# seed


def _post(api: str, token: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        api.rstrip("/") + path,
        data=json.dumps(body, ensure_ascii=False).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def seed(api: str, token_file: str) -> int:
    token = open(token_file, encoding="utf-8").read().strip()
    clerk, officer, leader = "cb-tiepnhan-01", "cb-tuphap-01", "ct-ubnd"
    # (procedure, applicant, transitions after the receipt)
    plans = [
        ("1.001193", "Nguyễn Văn An", []),
        ("1.001193", "Trần Thị Bích", [("process", {"actor": clerk, "to": officer})]),
        ("1.001776", "Lê Văn Cường", [("process", {"actor": clerk, "to": officer}),
                                     ("forward", {"actor": officer, "to": "597", "reason": "Thẩm quyền của UBND huyện"})]),
        ("1.001193", "Phạm Thị Dung", [("process", {"actor": clerk, "to": officer}),
                                      ("resolve", {"actor": officer, "decision": "approved"})]),
        ("1.001193", "Hoàng Văn Em", [("process", {"actor": clerk, "to": officer}),
                                     ("resolve", {"actor": officer, "decision": "approved"}),
                                     ("return", {"actor": clerk})]),
        ("1.001193", "Võ Thị Giang", [("request-supplement", {"actor": clerk, "documents": ["Giấy chứng sinh"], "reason": "Thiếu giấy tờ"}),
                                     ("note", {"actor": clerk, "text": "Công dân hẹn bổ sung"})]),
    ]
    codes = []
    for procedure, applicant, transitions in plans:
        status, answer = _post(api, token, "/v1/dossiers", {
            "actor": clerk, "procedure": procedure, "applicant": applicant, "idNumber": ID_NUMBER,
            "phone": "0912345678", "address": "thôn Lâm Hòa, xã Ma Lâm", "documents": ["Tờ khai"],
        })
        if status != 201:
            print(f"schemathesis_site: seed: POST /v1/dossiers answered {status}: {answer}", file=sys.stderr)
            return 1
        code = answer["dossier"]["code"]
        for action, body in transitions:
            status, answer = _post(api, token, f"/v1/dossiers/{code}/{action}", body)
            if status != 200:
                print(f"schemathesis_site: seed: {action} of {code} answered {status}: {answer}", file=sys.stderr)
                return 1
        codes.append(code)
    print("\n".join(codes))
    return 0


# --------------------------------------------------------------------------------------------
# plan


def plan(spec_path: str, cases: int) -> int:
    """Prints --max-examples: the fuzzing phase alone then generates about CASES cases, spread over
    the operations that take input (one without parameters or body yields a handful at most); the
    coverage and stateful phases add to it."""
    spec = json.load(open(spec_path, encoding="utf-8"))
    with_input = 0
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
                if item.get("parameters") or operation.get("parameters") or operation.get("requestBody"):
                    with_input += 1
    print(max(1, math.ceil(cases / max(1, with_input))))
    return 0


# --------------------------------------------------------------------------------------------
# summary


def _answer(interaction: dict | None) -> str:
    """`STATUS body` of a recorded interaction, the body cut to 160 characters."""
    response = (interaction or {}).get("response") or {}
    content = response.get("content") or {}
    body = content.get("$base64")
    text = base64.b64decode(body).decode("utf-8", "replace") if body else str(content.get("text", ""))
    text = " ".join(text.split())
    return f"{response.get('status_code', '?')} {text[:160]}"


def summary(name: str, json_paths: list[str], ndjson_paths: list[str]) -> int:
    generated = 0
    errors = []
    for path in json_paths:
        report = json.load(open(path, encoding="utf-8"))
        generated += report["test_cases"]["generated"]
        errors += [f"{error.get('title', '?')} ({error.get('count', 1)})" for error in report.get("errors", [])]
    # Failures grouped by (check, operation, title): failing cases, distinct answers, one example.
    groups: dict[tuple[str, str, str], dict] = {}
    for path in ndjson_paths:
        for line in open(path, encoding="utf-8"):
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            interactions = recorder.get("interactions", {})
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check["status"] == "success":
                        continue
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    key = (check["name"], failure.get("operation", "?"), failure.get("title", "?"))
                    group = groups.setdefault(key, {"cases": 0, "answers": set(), "example": ""})
                    group["cases"] += 1
                    answer = _answer(interactions.get(case_id))
                    group["answers"].add(answer)
                    if not group["example"]:
                        detail = (failure.get("message") or "").split("\n")[0]
                        group["example"] = f"{detail} -> {answer}"
    by_check: dict[str, int] = {}
    for check, _, _ in groups:
        by_check[check] = by_check.get(check, 0) + 1
    parts = ", ".join(f"{check} {count}" for check, count in sorted(by_check.items())) or "none"
    errors_part = f", {len(errors)} error(s)" if errors else ""
    print(f"schemathesis {name}: {generated} cases, {len(groups)} failure(s){errors_part} by check: {parts}")
    for (check, operation, title), group in sorted(groups.items()):
        print(f"  {check}: {operation}: {title}: {group['cases']} case(s), {len(group['answers'])} distinct answer(s), "
              f"e.g. {group['example']}")
    for error in errors:
        print(f"  error: {error}")
    return 1 if groups or errors else 0


# --------------------------------------------------------------------------------------------
# hooks (only when schemathesis imports this module)


def _register_hooks() -> None:
    import datetime
    import hashlib
    import random

    import schemathesis

    def listed(name: str) -> list[str]:
        return [item for item in os.environ.get(name, "").split(",") if item]

    codes, staff = listed("LIENTHONG_ST_CODES"), listed("LIENTHONG_ST_STAFF")
    procedures, agencies = listed("LIENTHONG_ST_PROCEDURES"), listed("LIENTHONG_ST_AGENCIES")
    id_digits = ID_NUMBER[-4:]
    # `extend` takes a working day after today and after the dossier's appointment (the node's
    # calendar, which lists the days off and swapped days of the years it covers): each use takes
    # the next weekday the calendar does not name, so every extension is later than the last.
    calendar_text, last_year = "", 0
    if os.environ.get("LIENTHONG_ST_CALENDAR"):
        calendar_text = open(os.environ["LIENTHONG_ST_CALENDAR"], encoding="utf-8").read()
        last_year = max(year["year"] for year in json.loads(calendar_text)["years"])
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).date()
    extension_days = [day.isoformat() for day in (today + datetime.timedelta(days=n) for n in range(45, 1200))
                      if day.year <= last_year and day.weekday() < 5 and day.isoformat() not in calendar_text]
    extensions = iter(extension_days)
    spec_path = os.environ.get("LIENTHONG_ST_SPEC", "")
    spec = json.load(open(spec_path, encoding="utf-8")) if spec_path else None
    validators: dict = {}

    def resolve(node):
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            ref = node["$ref"]
            node = spec
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(where: str, container: str):
        """A JSON Schema validator of the operation's body or query (as an object), or None."""
        key = (where, container)
        if key not in validators:
            validators[key] = None
            try:
                import jsonschema_rs

                method, path = where.split(" ", 1)
                item = spec["paths"][path]
                operation = item[method.lower()]
                if container == "body":
                    schema = resolve(operation["requestBody"])["content"]["application/json"]["schema"]
                else:
                    parameters = [resolve(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
                    parameters = [p for p in parameters if p.get("in") == "query"]
                    schema = {"type": "object", "properties": {p["name"]: p.get("schema", {}) for p in parameters},
                              "required": [p["name"] for p in parameters if p.get("required")]}
                validators[key] = jsonschema_rs.Draft202012Validator({**schema, "components": spec.get("components", {})})
            except Exception as error:  # then no swap: a swap must never change a case's verdict
                print(f"schemathesis_site: no validator for {where} {container}: {error!r}", file=sys.stderr)
        return validators[key]

    def swap(rng, where, container, value, alternatives, always_if_valid=False):
        """The value, or (half the time) an alternative the document judges exactly as it judges
        the value: a valid case stays valid, an invalid one invalid. With `always_if_valid` a valid
        value is always replaced."""
        check = validator(where, container) if alternatives else None
        if check is None:
            return value
        verdict = check.is_valid(value)
        kept = [alternative for alternative in alternatives if check.is_valid(alternative) == verdict]
        if not kept or not (verdict and always_if_valid) and rng.random() < 0.5:
            return value
        return rng.choice(kept)

    def integral(value):
        """`value` with every float that has no fraction (2.0, 1e300) as an int, recursively."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, list):
            return [integral(item) for item in value]
        if isinstance(value, dict):
            return {key: integral(item) for key, item in value.items()}
        return value

    @schemathesis.hook
    def before_call(context, case, kwargs):
        """Runs before every request of every phase (coverage, fuzzing, stateful)."""
        where = f"{case.operation.method.upper()} {case.operation.path}"
        steer(case, where)
        fresh_key(case, where)

    def steer(case, where):
        """Swaps values as the module's docstring says."""
        path_parameters = case.path_parameters if isinstance(case.path_parameters, dict) else {}
        query = case.query if isinstance(case.query, dict) else None
        body = case.body if isinstance(case.body, (dict, list)) else None
        # The same case makes the same choices (a replayed case stays reproducible).
        seed = json.dumps([where, path_parameters, query, body], default=repr)
        rng = random.Random(hashlib.sha256(seed.encode("utf-8", "surrogatepass")).digest())

        # {code} is a plain string in the documents: a seeded dossier's is as valid as any.
        if codes and isinstance(path_parameters.get("code"), str) and rng.random() < 0.5:
            case.path_parameters = {**path_parameters, "code": rng.choice(codes)}
        if where == "GET /v1/lookup" and query is not None and codes and "code" in query and "id" in query:
            case.query = swap(rng, where, "query", query, [{**query, "code": c, "id": id_digits} for c in codes])
        if where == "GET /v1/sync/pull" and query is not None:
            wait = query.get("wait")
            number = wait if isinstance(wait, int) and not isinstance(wait, bool) else (
                int(wait) if isinstance(wait, str) and wait.isascii() and wait.isdigit() else 0)
            if 1 <= number < 2**63:
                zero = 0 if isinstance(wait, int) else "0"
                check = validator(where, "query")
                if check is not None and check.is_valid(query) == check.is_valid({**query, "wait": zero}):
                    case.query = {**query, "wait": zero}
        if where in ("POST /v1/sync/push", "POST /v1/sync/return") and body is not None:
            # The hub reads canonical JSON: integer literals only (2.0 is refused, by design:
            # events are hashed and signed byte for byte). JSON Schema counts 2.0 as the integer
            # 2, so the verdict is the same.
            case.body = integral(body)
        if not isinstance(body, dict) or (where != "POST /v1/dossiers" and not where.startswith("POST /v1/dossiers/{code}/")):
            return
        if where == "POST /v1/dossiers":
            # Sometimes a complete intake (the node needs applicant, idNumber, phone, address and
            # documents; the current document requires only actor and procedure).
            body = swap(rng, where, "body", body, [{
                **body, "applicant": "Nguyễn Thị Hoa", "idNumber": ID_NUMBER, "phone": "0912345678",
                "address": "thôn Lâm Hòa, xã Ma Lâm", "documents": ["Tờ khai"]}])
        # Values only this site's configuration makes right (staff.json, the procedure catalogue,
        # topology.json): no document can list them. A body the document calls valid always gets
        # real ones, so a 400 for it is a real mismatch; an invalid body sometimes does.
        action = where.rsplit("/", 1)[-1] if "{action}" not in where else str(path_parameters.get("action"))
        swaps = [("actor", staff)]
        if where == "POST /v1/dossiers":
            swaps.append(("procedure", procedures))
        elif action == "forward":
            swaps.append(("to", agencies))
        elif action in ("process", "supplement-received"):
            swaps.append(("to", staff))
        for field, values in swaps:
            if field in body and values:
                body = swap(rng, where, "body", body, [{**body, field: value} for value in values], always_if_valid=True)
        if action == "extend" and "until" in body and extension_days:
            day = next(extensions, extension_days[-1])
            body = swap(rng, where, "body", body, [{**body, "until": day}], always_if_valid=True)
        if action == "process" and "step" in body:
            # A step id of the dossier's procedure, or none (the next step): a valid body goes
            # without it.
            body = swap(rng, where, "body", body, [{key: value for key, value in body.items() if key != "step"}],
                        always_if_valid=True)
        case.body = body

    def fresh_key(case, where):
        """A write's Idempotency-Key: Hypothesis and the coverage phase reuse keys ("0") for other
        bodies, which the node rightly refuses (422, key reused), so writes would not happen. A key
        of 1-255 visible ASCII characters (valid for the document and the node) becomes one
        derived from the request as sent: the same request, the same key (a replay); another,
        another key. Member order counts: the node fingerprints a write's bytes."""
        key = case.headers.get("Idempotency-Key") if case.headers is not None else None
        if isinstance(key, str) and 1 <= len(key) <= 255 and all("!" <= c <= "~" for c in key):
            sent = json.dumps([where, case.path_parameters, case.query, case.body], default=repr)
            headers = type(case.headers)(case.headers)  # a copy: the generated mapping may be shared
            headers["Idempotency-Key"] = hashlib.sha256(sent.encode("utf-8", "surrogatepass")).hexdigest()[:32]
            case.headers = headers


if __name__ == "__main__":
    command, arguments = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "seed" and len(arguments) == 2:
        sys.exit(seed(*arguments))
    if command == "plan" and len(arguments) == 2:
        sys.exit(plan(arguments[0], int(arguments[1])))
    if command == "summary" and len(arguments) >= 3:
        files = arguments[1:]
        sys.exit(summary(arguments[0], [f for f in files if f.endswith(".json")],
                         [f for f in files if f.endswith(".ndjson")]))
    print(__doc__, file=sys.stderr)
    sys.exit(64)
else:
    _register_hooks()
