#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into test/fuzz/corpus/<target>/ from the repository's
real inputs: the requests and backend answers of test/irules/*.cases plus hand-written smuggling
vectors (http_codec), bigip.conf files and the cases' config sections (config_parser), the iRules of
irules/, test/fixtures/rules and the cases (f5_dialect), and operator pairs (f5_operators).

Run it again after the sources change (the output is deterministic: a file is named by its hash):
    test/fuzz/make_corpus.py
"""
import hashlib
import pathlib
import re
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "test" / "fuzz" / "corpus"


def unescape(line: str) -> bytes:
    """The escapes of a .cases byte section: \\r \\n \\t \\0 \\\\ \\xHH."""
    out = bytearray()
    i = 0
    raw = line.encode("latin-1", "replace")
    while i < len(raw):
        c = raw[i:i + 1]
        if c == b"\\" and i + 1 < len(raw):
            n = raw[i + 1:i + 2]
            if n in (b"r", b"n", b"t", b"0", b"\\"):
                out += {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"0": b"\0", b"\\": b"\\"}[n]
                i += 2
                continue
            if n == b"x" and i + 3 < len(raw) + 1:
                try:
                    out.append(int(raw[i + 2:i + 4], 16))
                    i += 4
                    continue
                except ValueError:
                    pass
        out += c
        i += 1
    return bytes(out)


def section_bytes(lines, raw):
    """What a client/backend section sends, as test/irules/README.md describes it (closely enough)."""
    if raw:
        return b"".join(unescape(l.rstrip("\\")) for l in lines)
    head, body, in_body = [], [], False
    for l in lines:
        if not in_body and l == "":
            in_body = True
            continue
        (body if in_body else head).append(unescape(l))
    return b"\r\n".join(head) + b"\r\n\r\n" + b"\r\n".join(body)


def cases_sections():
    """(kind, options, lines) of every section of every .cases file."""
    for path in sorted((ROOT / "test" / "irules").glob("*.cases")):
        kind, opts, lines = None, [], []
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n") + ["=== end"]:
            m = re.match(r"^(---|===) ?(\S*)(.*)$", line)
            if m and line.startswith(("--- ", "===")):
                if kind:
                    while lines and lines[-1] == "":
                        lines.pop()
                    yield kind, opts, lines
                kind = m.group(2) if m.group(1) == "---" else None
                opts = m.group(3).split()
                lines = []
            elif kind:
                lines.append(line)


def write(target, data: bytes, seen):
    digest = hashlib.sha1(data).hexdigest()[:16]
    if digest in seen:
        return
    seen.add(digest)
    (CORPUS / target / digest).write_bytes(data)


# The http_codec trailer: flags, six read sizes, the small limits' size (fuzz_http_codec.cc).
TRAILERS = [
    bytes([0, 0, 0, 0, 0, 0, 0, 0]),          # whole stream in one read
    bytes([2, 1, 2, 3, 5, 7, 11, 0]),         # small reads, body sink
    bytes([5, 0, 0, 0, 0, 0, 0, 0]),          # HEAD answered, resume_after_head
    bytes([8, 0, 0, 0, 0, 0, 0, 3]),          # small limits
]

SMUGGLING = [
    b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nhello",
    b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +4\r\n\r\nabcd",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
    b"POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n",
    b"GET / HTTP/1.1\nHost: h\n\n",
    b"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET http://other/x HTTP/1.1\r\nHost: h\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
    b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x05hello",
    b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /again HTTP/1.0\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
    b"GET /%00/../a?b=%zz HTTP/1.1\r\nHost: h\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi",
    b"HTTP/1.0 200 OK\r\n\r\nuntil the end",
    b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 999 Weird\r\nContent-Length: 0\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
]


def http_seeds(seen):
    streams = list(SMUGGLING)
    for kind, opts, lines in cases_sections():
        if kind in ("client", "backend") and lines and not set(opts) & {"close", "reset", "none"}:
            streams.append(section_bytes(lines, "raw" in opts))
    streams = [s for s in streams if 0 < len(s) <= 2048]
    for i, stream in enumerate(streams):
        write("http_codec", stream + TRAILERS[i % len(TRAILERS)], seen)
        if i < len(SMUGGLING):
            write("http_codec", stream + TRAILERS[(i + 1) % len(TRAILERS)], seen)


def config_seeds(seen):
    files = sorted((ROOT / "test" / "fixtures" / "check").glob("*.conf"))
    files += sorted((ROOT / "examples").glob("*/bigip.conf"))
    for path in files:
        write("config_parser", path.read_bytes(), seen)
    for kind, _, lines in cases_sections():
        if kind == "config" and lines:
            write("config_parser", ("\n".join(lines) + "\n").encode(), seen)
    # Raw strings of the config unit tests (whole bigip.conf shapes).
    for path in sorted((ROOT / "test" / "unit").glob("core_config_*_test.cc")):
        for m in re.finditer(r'R"\((.*?)\)"', path.read_text(encoding="utf-8"), re.S):
            write("config_parser", m.group(1).encode(), seen)


def rule_seeds(seen):
    files = sorted((ROOT / "irules").glob("*.tcl")) + sorted((ROOT / "test" / "fixtures" / "rules").glob("*.tcl"))
    for path in files:
        write("f5_dialect", path.read_bytes(), seen)
    for kind, _, lines in cases_sections():
        if kind == "rule" and lines:
            write("f5_dialect", ("\n".join(lines) + "\n").encode(), seen)
    for text in [
        b"when HTTP_REQUEST\n{\n  if {[HTTP::uri] starts_with \"/api\" and not ([HTTP::host] equals \"x\")}{\n"
        b"    pool a\n  }\n  elseif { [HTTP::uri] matches_glob \"*.jpg\" or $x matches_regex {^a.*b$} } {\n"
        b"    pool b\n  }else{ drop }\n}\n",
        b"when HTTP_REQUEST {\n  while { $i contains \"a\" } { incr i }\n  set y [expr {$a ends_with $b}]\n"
        b"  switch -glob [HTTP::uri] {\n    \"/a*\" { if { $q contains {}} } { } }\n  }\n}\n",
    ]:
        write("f5_dialect", text, seen)


def operator_seeds(seen):
    pairs = [(b"/api/v1/users", b"/api"), (b"/img/a.jpg", b".jpg"), (b"abc", b""), (b"", b""),
             (b"/a/b/c", b"*/b/*"), (b"www.example.com", b"^www\\.[a-z]+\\.com$"), (b"x", b"("),
             (b"-nocase", b"-nocase"), (b"caf\xc3\xa9", b"\xc3"), (b"a\0b", b"\0"), (b"AbC", b"abc")]
    for op in range(6):
        for i, (a, b) in enumerate(pairs):
            write("f5_operators", bytes([op + 6 * ((op + i) % 6), i & 1]) + a + b"\xff" + b, seen)


def main():
    for target in ("http_codec", "config_parser", "f5_dialect", "f5_operators"):
        shutil.rmtree(CORPUS / target, ignore_errors=True)
        (CORPUS / target).mkdir(parents=True)
    seen = set()
    http_seeds(seen)
    config_seeds(seen)
    rule_seeds(seen)
    operator_seeds(seen)
    for target in sorted(p.name for p in CORPUS.iterdir()):
        print(target, len(list((CORPUS / target).iterdir())))


if __name__ == "__main__":
    main()
