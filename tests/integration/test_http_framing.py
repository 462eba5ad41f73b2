"""HTTP/1.1 message framing: a request whose body length is ambiguous is refused and the
connection closed, so no byte after its header can be run as a request (request smuggling).

The rules (RFC 9112):
- §6.3 item 4: Transfer-Encoding present and chunked not the final coding -> the length cannot
  be determined; the server MUST answer 400 and then close the connection.
- §6.1: chunked MUST NOT be applied more than once ("chunked, chunked" is not a valid framing).
- §6.3 item 3: Transfer-Encoding with Content-Length -> the server MAY reject or process by the
  Transfer-Encoding alone, and MUST close the connection after answering either way. These
  tests hold spated to the stricter choice, 400, which it makes today and the hardening issue
  asks for; the close is what the RFC requires.
- §6.3 item 5: an invalid Content-Length (a sign, non-digits, a list of different values, two
  fields with different values) is an unrecoverable error: 400 and close. Several fields or a
  list with all-equal valid values MAY be processed with that value (tested separately).
- §5.1: whitespace between a field name and the colon: the server MUST answer 400.
- §5.2: obs-fold in a request: 400, or unfold to spaces. The folded values used here are
  invalid either way (`chunked identity`, `2 2`), so 400 and close.

Every refused request carries a complete second request right after its header (or after the
few bytes a lenient parser would take as the body): a CreateStream of a name used nowhere else,
unsigned JSON (the module's server runs with --auth none). Each test asserts that
1. the first (and only) answer is 400,
2. the server then closes the connection (recv returns b'' or the connection is reset, well
   within a timeout), and
3. the smuggled stream does not exist (a clean request on a fresh connection; and once more at
   the end of the module, after every server-side task has had time to finish).

Positive controls: a proper `Transfer-Encoding: chunked` request is served and its connection
stays usable, also with a request pipelined right behind the last chunk.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

from spate_harness import JSON_CONTENT_TYPE, TARGET_PREFIX, error_type, raw_call

# How long a test waits for the server to close a connection it must close. A server that
# closes does so within milliseconds; one that keeps the connection costs the test this long.
CLOSE_TIMEOUT_S = 5.0

# Every name a test tried to smuggle in; the last test checks that none of them exists.
SMUGGLED_NAMES: list[str] = []


# --------------------------------------------------------------------------------------------
# Raw HTTP/1.1 bytes
# --------------------------------------------------------------------------------------------


def _create_stream_request(name: str) -> bytes:
    """A complete, well-framed, unsigned CreateStream request for `name`."""
    body = json.dumps({"StreamName": name, "ShardCount": 1}).encode()
    head = (
        "POST / HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Content-Type: {JSON_CONTENT_TYPE}\r\n"
        f"X-Amz-Target: {TARGET_PREFIX}.CreateStream\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


def _smuggled(hint: str) -> tuple[str, bytes]:
    name = f"smuggled-{hint}-{uuid.uuid4().hex[:10]}"
    SMUGGLED_NAMES.append(name)
    return name, _create_stream_request(name)


def _request_head(framing: list[str], action: str = "ListStreams") -> bytes:
    """The header of a POST / whose framing fields are `framing`, written as they are (each
    item is one or more raw header lines without the final CRLF)."""
    lines = [
        "POST / HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: {JSON_CONTENT_TYPE}",
        f"X-Amz-Target: {TARGET_PREFIX}.{action}",
        *framing,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _parse_responses(data: bytes) -> tuple[list[tuple[int, dict, bytes]], bytes]:
    """Complete HTTP/1.1 responses at the start of `data`, and the bytes left after them."""
    responses = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return responses, data
        head = data[:end].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = data[end + 4:]
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            pos = 0
            while True:
                eol = rest.find(b"\r\n", pos)
                if eol < 0:
                    return responses, data
                size = int(rest[pos:eol].split(b";")[0], 16)
                if len(rest) < eol + 2 + size + 2:
                    return responses, data
                body += rest[eol + 2:eol + 2 + size]
                pos = eol + 2 + size + 2
                if size == 0:
                    break
            rest = rest[pos:]
        else:
            length = int(headers.get("content-length", "0"))
            if len(rest) < length:
                return responses, data
            body, rest = rest[:length], rest[length:]
        responses.append((status, headers, body))
        data = rest


def _send_and_read_until_closed(server, raw: bytes, timeout: float = CLOSE_TIMEOUT_S):
    """Sends `raw` at once and reads until the server closes the connection or `timeout`
    passes. Returns (responses, closed, leftover bytes). A reset counts as a close."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    data = b""
    closed = False
    try:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server hung up while we were still sending: it may have answered first
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
    finally:
        sock.close()
    responses, leftover = _parse_responses(data)
    return responses, closed, leftover


def _stream_exists(server, name: str) -> bool:
    status, body = raw_call(server.endpoint, "DescribeStreamSummary", {"StreamName": name},
                            sign=False)
    if status == 200:
        return True
    assert status == 400 and error_type(body) == "ResourceNotFoundException", (status, body)
    return False


def _assert_refused_and_closed(server, framing: list[str], body_prefix: bytes = b"",
                               hint: str = "x") -> None:
    """Sends the ambiguous request with a CreateStream right behind it (after `body_prefix`,
    the bytes a lenient reading would take as the first request's body; `{n}` in a framing
    line becomes the CreateStream's length) and asserts: one
    answer, 400; the connection closed; the smuggled stream does not exist."""
    name, smuggled = _smuggled(hint)
    framing = [line.replace("{n}", str(len(smuggled))) for line in framing]
    raw = _request_head(framing) + body_prefix + smuggled
    responses, closed, leftover = _send_and_read_until_closed(server, raw)
    exists = _stream_exists(server, name)
    seen = [(status, body[:200]) for status, _, body in responses]
    problems = []
    if exists:
        problems.append(f"the smuggled CreateStream ran: stream {name} exists")
    if not responses:
        problems.append(f"no complete answer (bytes: {leftover[:200]!r})")
    elif responses[0][0] != 400:
        problems.append(f"first answer is HTTP {responses[0][0]}, not 400")
    if len(responses) > 1:
        problems.append(f"{len(responses)} answers on one connection: the bytes after the "
                        "header were read as another request")
    if not closed:
        problems.append(f"the connection was still open {CLOSE_TIMEOUT_S}s after the answer")
    assert not problems, f"{framing}: " + "; ".join(problems) + f"\nanswers: {seen}"


# --------------------------------------------------------------------------------------------
# Transfer-Encoding whose final coding is not (exactly one) chunked
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "gzip",
    "identity",
    "xchunked",
    "chunked, identity",
    "chunked, chunked",
])
def test_transfer_encoding_not_ending_in_one_chunked_is_refused_and_closed(server, value):
    """§6.3: the length cannot be determined -> 400 and close. A parser that takes such a
    request as having no body would read the CreateStream right behind the header next."""
    _assert_refused_and_closed(server, [f"Transfer-Encoding: {value}"], hint="te")


@pytest.mark.parametrize("lines", [
    ["Transfer-Encoding: chunked", "Transfer-Encoding: identity"],
    ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
], ids=["chunked+identity", "chunked+chunked"])
def test_transfer_encoding_split_over_two_lines_is_refused_and_closed(server, lines):
    """Two field lines are one comma-joined list (RFC 9110 §5.3): `chunked, identity` and
    `chunked, chunked`, neither of which ends in a single chunked."""
    _assert_refused_and_closed(server, lines, hint="te-split")


@pytest.mark.parametrize("lines,prefix", [
    (["Content-Length: 5", "Transfer-Encoding: chunked"], b"0\r\n\r\n"),
    (["Transfer-Encoding: chunked", "Content-Length: 5"], b"0\r\n\r\n"),
], ids=["cl-then-te", "te-then-cl"])
def test_transfer_encoding_with_content_length_is_refused_and_closed(server, lines, prefix):
    """§6.3 item 3. Both readings end the body at the same place here (chunked: the last chunk
    `0`; Content-Length: its 5 bytes), so the CreateStream right after it would be read next
    on a kept connection: the server must close. (It may process by Transfer-Encoding alone;
    spated refuses, which these tests pin.)"""
    _assert_refused_and_closed(server, lines, body_prefix=prefix, hint="te-cl")


# --------------------------------------------------------------------------------------------
# obs-fold, whitespace before the colon, duplicated and malformed Content-Length
# --------------------------------------------------------------------------------------------


def test_obs_fold_in_transfer_encoding_is_refused_and_closed(server):
    """`chunked` continued on a folded line by `identity`: unfolded it reads `chunked identity`
    (not a valid coding list; its last coding is not chunked); a parser that drops the
    continuation reads `chunked`."""
    _assert_refused_and_closed(server, ["Transfer-Encoding: chunked\r\n identity"],
                               hint="te-fold")


def test_obs_fold_in_content_length_is_refused_and_closed(server):
    """`2` continued by a folded `2`: unfolded `2 2` is no number; a parser that drops the
    continuation takes the 2 bytes `{}` as the body and the CreateStream as the next request."""
    _assert_refused_and_closed(server, ["Content-Length: 2\r\n 2"], body_prefix=b"{}",
                               hint="cl-fold")


@pytest.mark.parametrize("field", ["Transfer-Encoding : chunked", "Transfer-Encoding\t: chunked",
                                   "Content-Length : {n}", "Content-Length\t: {n}"],
                         ids=["te-space", "te-tab", "cl-space", "cl-tab"])
def test_whitespace_before_the_colon_is_refused_and_closed(server, field):
    """§5.1: a server MUST reject it with 400. A parser that ignores the field as an unknown
    name sees no body and runs the CreateStream behind the header; for Content-Length the value
    is that CreateStream's length, so a parser that trims the name takes it as the body."""
    _assert_refused_and_closed(server, [field], hint="ws")


@pytest.mark.parametrize("lines", [
    ["Content-Length: 2", "Content-Length: 0"],
    ["Content-Length: 2", "Content-Length: 300"],
    ["Content-Length: 2, 300"],
], ids=["two-fields-2-0", "two-fields-2-300", "list-2-300"])
def test_content_length_with_different_values_is_refused_and_closed(server, lines):
    """§6.3 item 5: different values are an unrecoverable error. The first value takes `{}` as
    the body and runs the CreateStream next; the second takes neither or both."""
    _assert_refused_and_closed(server, lines, body_prefix=b"{}", hint="cl-dup")


@pytest.mark.parametrize("value", ["+2", "-2", "2.0", "2a", "0x2", "2 2", " "],
                         ids=["plus", "minus", "decimal", "suffix", "hex", "two-numbers",
                              "blank"])
def test_content_length_that_is_not_digits_is_refused_and_closed(server, value):
    """§6.3 item 5 / RFC 9110 §8.6 (Content-Length = 1*DIGIT): a lenient number parser
    (strtol and friends) would read 2 (or 0) and take `{}` (or nothing) as the body, and the
    CreateStream after it as the next request."""
    _assert_refused_and_closed(server, [f"Content-Length: {value}"], body_prefix=b"{}",
                               hint="cl-nan")


@pytest.mark.parametrize("lines", [
    ["Content-Length: 2", "Content-Length: 2"],
    ["Content-Length: 2, 2"],
], ids=["two-fields", "list"])
def test_content_length_repeated_with_one_value(server, lines):
    """§6.3 item 5 lets a recipient process several equal valid values as that one value, or
    reject the message. So either (a) the body is exactly 2 bytes `{}` -> ListStreams 200, the
    CreateStream pipelined behind it is an ordinary second request (200, the stream exists) and
    the connection stays usable; or (b) 400, the connection closed, and the CreateStream never
    ran. Anything else (another length, a kept connection after 400) is a framing bug."""
    name = f"pipelined-{uuid.uuid4().hex[:10]}"
    raw = _request_head(lines) + b"{}" + _create_stream_request(name)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=CLOSE_TIMEOUT_S)
    try:
        sock.sendall(raw)
        data = b""
        closed = False
        responses: list = []
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        # Until two answers, or one 400 and the close, or the deadline.
        while time.monotonic() < deadline:
            responses, _ = _parse_responses(data)
            if len(responses) >= 2 or closed:
                break
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                closed = True
            data += chunk
        responses, _ = _parse_responses(data)
        assert responses, f"no answer to {lines}"
        if responses[0][0] == 400:
            assert len(responses) == 1 and closed, (
                f"{lines}: refused, but the connection went on: {responses}")
            assert not _stream_exists(server, name)
            SMUGGLED_NAMES.append(name)
            return
        assert responses[0][0] == 200 and "StreamNames" in json.loads(responses[0][2]), responses
        assert len(responses) == 2 and responses[1][0] == 200, responses
        # The connection is still usable.
        follow = json.dumps({"StreamName": name}).encode()
        sock.sendall(_request_head([f"Content-Length: {len(follow)}"],
                                        action="DescribeStreamSummary") + follow)
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        data = b""
        while len(_parse_responses(data)[0]) < 1 and time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            assert chunk, "the connection was closed after two good answers"
            data += chunk
        (status, _, body), = _parse_responses(data)[0]
        assert status == 200, body
        assert json.loads(body)["StreamDescriptionSummary"]["StreamName"] == name
    finally:
        sock.close()
    raw_call(server.endpoint, "DeleteStream", {"StreamName": name}, sign=False)


# --------------------------------------------------------------------------------------------
# Positive controls
# --------------------------------------------------------------------------------------------


def _chunked(body: bytes, size: int = 7) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
                    for i in range(0, len(body), size)) + b"0\r\n\r\n"


def _read_n_responses(sock: socket.socket, n: int) -> list[tuple[int, dict, bytes]]:
    data = b""
    deadline = time.monotonic() + 20
    while len(_parse_responses(data)[0]) < n:
        left = deadline - time.monotonic()
        assert left > 0, f"fewer than {n} answers in 20 s: {data[:500]!r}"
        sock.settimeout(left)
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection after {data[:500]!r}"
        data += chunk
    responses, leftover = _parse_responses(data)
    assert len(responses) == n and leftover == b"", (responses, leftover)
    return responses


def test_chunked_request_is_served_and_the_connection_stays_usable(server):
    name = f"chunked-{uuid.uuid4().hex[:10]}"
    create = json.dumps({"StreamName": name, "ShardCount": 1}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    try:
        sock.sendall(_request_head(["Transfer-Encoding: chunked"], action="CreateStream")
                     + _chunked(create))
        (status, headers, body), = _read_n_responses(sock, 1)
        assert status == 200, body
        assert headers.get("connection", "").lower() != "close"
        # The same connection: a chunked request with a plain one pipelined right behind it.
        describe = json.dumps({"StreamName": name}).encode()
        sock.sendall(
            _request_head(["Transfer-Encoding: chunked"], action="DescribeStreamSummary")
            + _chunked(describe)
            + _request_head([f"Content-Length: {len(describe)}"],
                                 action="DescribeStreamSummary")
            + describe)
        answers = _read_n_responses(sock, 2)
        for status, _, body in answers:
            assert status == 200, body
            assert json.loads(body)["StreamDescriptionSummary"]["StreamName"] == name
    finally:
        sock.close()
    raw_call(server.endpoint, "DeleteStream", {"StreamName": name}, sign=False)


def test_chunked_with_trailer_and_extension_is_served(server):
    """Chunk extensions and an (empty-valued) trailer section are part of valid chunked framing
    (RFC 9112 §7.1.1, §7.1.2); they must not end the connection."""
    body = b"{}"
    raw = (_request_head(["Transfer-Encoding: chunked"])
           + b"2;name=value\r\n" + body + b"\r\n0\r\nX-Trailer: t\r\n\r\n")
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    try:
        sock.sendall(raw + _request_head(["Content-Length: 2"]) + body)
        answers = _read_n_responses(sock, 2)
        assert [a[0] for a in answers] == [200, 200], answers
    finally:
        sock.close()


def test_no_smuggled_stream_exists_at_the_end(server):
    """Runs last in the module: by now any server-side work a refused request could have
    started has long finished, so a smuggled stream would show in ListStreams."""
    assert SMUGGLED_NAMES, "the module's framing tests did not run"
    status, body = raw_call(server.endpoint, "ListStreams", {"Limit": 10000}, sign=False)
    assert status == 200, body
    names = set(body["StreamNames"])
    while body.get("HasMoreStreams"):
        after = body["StreamNames"][-1]
        status, body = raw_call(server.endpoint, "ListStreams",
                                {"Limit": 10000, "ExclusiveStartStreamName": after}, sign=False)
        assert status == 200, body
        names |= set(body["StreamNames"])
    ran = sorted(names & set(SMUGGLED_NAMES))
    assert not ran, f"smuggled CreateStream requests ran: {ran}"
