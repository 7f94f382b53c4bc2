#!/usr/bin/env python3
"""Independent check of LienThong's canonical event bytes, hashes and checkpoint signatures.

Python's standard library plus a small RFC 8032 Ed25519 (below), written from the specification and
not from the Swift code, so that two implementations must agree on Tests/Fixtures/vectors.json.

    python3 Scripts/vectors.py check   # recompute every vector; exit 1 on any difference
    python3 Scripts/vectors.py make    # rewrite the file from the inputs listed here

Canonical bytes (DESIGN §2): RFC 8785 JSON restricted to integers within +-(2^53-1), keys sorted,
strings in Unicode NFC, only '"', '\\' and U+0000-U+001F escaped ('/' never), UTF-8 output.
"""
import hashlib
import json
import sys
import unicodedata
from pathlib import Path

VECTORS = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "vectors.json"
# RFC 8032 section 7.1, test 1: a published key, so the Ed25519 code below is checked against it.
TEST_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
MAX_SAFE = 2**53 - 1
CHECKPOINT_PREFIX = b"lienthong-checkpoint-v1\n"

# ---------------------------------------------------------------- Ed25519 (RFC 8032, section 5.1)
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _equal(p1, p2):
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


G_Y = 4 * pow(5, P - 2, P) % P
G = (_recover_x(G_Y, 0), G_Y, 1, _recover_x(G_Y, 0) * G_Y % P)


def _compress(point):
    x, y, z, _ = point
    zinv = pow(z, P - 2, P)
    x, y = x * zinv % P, y * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def _sha512_int(data):
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed):
    a, _ = _expand(seed)
    return _compress(_mul(a, G))


def sign(seed, message):
    a, prefix = _expand(seed)
    pub = _compress(_mul(a, G))
    r = _sha512_int(prefix + message) % L
    big_r = _compress(_mul(r, G))
    s = (r + _sha512_int(big_r + pub + message) * a) % L
    return big_r + int.to_bytes(s, 32, "little")


def verify(pub, message, signature):
    if len(signature) != 64:
        return False
    a_point, r_point = _decompress(pub), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a_point is None or r_point is None or s >= L:
        return False
    h = _sha512_int(signature[:32] + pub + message) % L
    return _equal(_mul(s, G), _add(r_point, _mul(h, a_point)))


# ---------------------------------------------------------------- canonical JSON
def _encode_string(text):
    out = ['"']
    for ch in unicodedata.normalize("NFC", text):
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif code < 0x20:
            out.append("\\u%04x" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical(value):
    """The canonical text of a JSON value decoded by json.loads."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > MAX_SAFE:
            raise ValueError("integer out of range: %d" % value)
        return str(value)
    if isinstance(value, float):
        raise ValueError("numbers with a fraction or exponent are not allowed")
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(item) for item in value) + "]"
    if isinstance(value, dict):
        members = {unicodedata.normalize("NFC", k): v for k, v in value.items()}
        keys = sorted(members, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(_encode_string(k) + ":" + canonical(members[k]) for k in keys) + "}"
    raise TypeError("not a JSON value: %r" % (value,))


def checkpoint_message(event, digest):
    fields = {"origin": event["origin"], "epoch": event["epoch"], "seq": event["seq"], "hash": digest}
    return CHECKPOINT_PREFIX + canonical(fields).encode("utf-8")


def compute(event, seed):
    data = canonical(event).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    message = checkpoint_message(event, digest)
    return {"canonical": data.decode("utf-8"), "hash": digest,
            "checkpointMessage": message.hex(), "signature": sign(seed, message).hex()}


# ---------------------------------------------------------------- the inputs
EPOCH = "5f3c1a7e9b2d4c6e8f0a1b2c3d4e5f60"
ZERO = "0" * 64


def _event(seq, body, *, type_="dossier.note", dossier="23059-261122-0001", seen=None, actor="cb-tiepnhan-01",
           origin="xa-23059", hlc=None, prev=None, v=1):
    event = {"v": v, "origin": origin, "epoch": EPOCH, "seq": seq,
             "hlc": hlc or "%012x%04x" % (1795000000000 + seq * 1000, seq % 3),
             "seen": seen or {}, "type": type_, "actor": actor, "body": body,
             "prev": prev or (ZERO if seq == 1 else "%064x" % (seq * 7919))}
    if dossier is not None:
        event["dossier"] = dossier
    return event


def inputs():
    decomposed_name = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    return [
        ("empty body", _event(1, {})),
        ("received, composed Vietnamese", _event(2, {"applicant": "Nguyễn Thị Ánh Tuyết", "procedure": "1.001193",
                                                     "address": "thôn Lâm Giáo, xã Hàm Chính"}, type_="dossier.received")),
        ("received, decomposed Vietnamese (NFD input)", _event(3, {"applicant": decomposed_name,
                                                                 "address": unicodedata.normalize("NFD", "Hàm Thuận Bắc")},
                                                               type_="dossier.received")),
        ("mixed composed and decomposed in one string", _event(4, {"text": "Hồ sơ " + unicodedata.normalize("NFD", "đất đai ở Hàm Trí")})),
        ("slashes are never escaped", _event(5, {"path": "a/b/c", "html": "</script>", "url": "https://dichvucong.gov.vn/p/home"})),
        ("quotes and backslashes", _event(6, {"text": "Anh \"Tư\" nói: C:\\\\hồ sơ\\\\ '1'"})),
        ("control characters", _event(7, {"text": "a\u0000b\u0001c\u0008d\u0009e\u000af\u000cg\u000dh\u001fi\u007fj"})),
        ("largest safe integers", _event(8, {"max": MAX_SAFE, "min": -MAX_SAFE, "zero": 0, "neg": -1})),
        ("nested body", _event(9, {"documents": [{"name": "Tờ khai", "copies": 1, "original": True},
                                                  {"name": "CCCD", "copies": 2, "original": False, "notes": None}],
                                    "fees": {"amount": 0, "currency": "VND", "waived": {"reason": "hộ nghèo"}}})),
        ("deep nesting", _event(10, {"a": {"b": {"c": {"d": {"e": [[[[1]]]]}}}}})),
        ("key order by code unit", _event(11, {"b": 1, "B": 2, "a": 3, "_": 4, "A1": 5, "a1": 6, "aa": 7, "Z": 8})),
        ("seen vector", _event(12, {"text": "ok"}, seen={"xa-23059": 11, "hub-597": 40, "xa-23071": 3})),
        ("hub event without dossier", _event(1, {"year": 2027, "holidays": ["2027-01-01", "2027-04-30"]},
                                             type_="calendar.published", dossier=None, origin="hub-597", actor="op-01")),
        ("emoji and non-BMP characters", _event(13, {"text": "Đã nhận 📄 hồ sơ 🇻🇳 𝔘"})),
        ("empty strings and arrays", _event(14, {"text": "", "list": [], "object": {}})),
        ("booleans and null", _event(15, {"t": True, "f": False, "n": None})),
        ("unicode escapes in input", _event(16, {"text": "\u1ea0\u00e0\u0323"})),
        ("long text", _event(17, {"text": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả. " * 20})),
        ("counter at overflow edge", _event(18, {}, hlc="%012x%04x" % (1795000018000, 0xFFFF))),
        ("newer format version", _event(19, {"extra": "từ phiên bản mới"}, v=2)),
        ("unknown type", _event(20, {}, type_="dossier.somethingNew")),
        ("decomposed reason text", _event(21, {"reason": unicodedata.normalize("NFD", "Thiếu giấy khai sinh")},
                                                         type_="dossier.supplementRequested")),
        ("whitespace in strings kept", _event(22, {"text": "  hai  khoảng trắng \u00a0 và tab\t "})),
    ]


def make():
    seed = bytes.fromhex(TEST_SEED)
    vectors = []
    for name, event in inputs():
        vectors.append({"name": name, "input": event, **compute(event, seed)})
    document = {
        "about": "LienThong event vectors: input event (fields without hash, strings possibly not NFC) -> canonical bytes "
                 "(UTF-8 text) -> SHA-256 hash -> checkpoint message (hex) -> Ed25519 signature under the test key. "
                 "Generated by Scripts/vectors.py make; checked by Scripts/vectors.py check and the Swift tests.",
        "testKeySeed": TEST_SEED,
        "testPublicKey": public_key(seed).hex(),
        "vectors": vectors,
    }
    # ensure_ascii keeps decomposed input decomposed and control characters visible in the file.
    VECTORS.write_text(json.dumps(document, ensure_ascii=True, indent=2) + "\n", encoding="utf-8")
    print("wrote %d vectors to %s" % (len(vectors), VECTORS))


def check():
    # The Ed25519 code first, against RFC 8032 test 1 (empty message).
    seed = bytes.fromhex(TEST_SEED)
    rfc_pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    rfc_sig = ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
               "d25bf5f0595bbe24655141438e7a100b")
    assert public_key(seed).hex() == rfc_pub, "Ed25519 public key differs from RFC 8032 test 1"
    assert sign(seed, b"").hex() == rfc_sig, "Ed25519 signature differs from RFC 8032 test 1"
    assert verify(bytes.fromhex(rfc_pub), b"", bytes.fromhex(rfc_sig))
    assert not verify(bytes.fromhex(rfc_pub), b"x", bytes.fromhex(rfc_sig))

    document = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert document["testKeySeed"] == TEST_SEED
    pub = bytes.fromhex(document["testPublicKey"])
    failures = 0
    for vector in document["vectors"]:
        got = compute(vector["input"], seed)
        for field in ("canonical", "hash", "checkpointMessage", "signature"):
            if got[field] != vector[field]:
                failures += 1
                print("FAIL %s: %s differs\n  file:     %r\n  computed: %r" % (vector["name"], field, vector[field], got[field]))
        if not verify(pub, bytes.fromhex(vector["checkpointMessage"]), bytes.fromhex(vector["signature"])):
            failures += 1
            print("FAIL %s: signature does not verify" % vector["name"])
    count = len(document["vectors"])
    print("vectors: %d passed, %d failed" % (count - min(failures, count), min(failures, count)))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "make":
        make()
        sys.exit(0)
    if command == "check":
        sys.exit(check())
    print("usage: vectors.py check|make", file=sys.stderr)
    sys.exit(2)
