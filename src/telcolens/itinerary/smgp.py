"""China Telecom's SMGP 3.0 (短消息网关协议): an encoder and decoder of its packets.

The SMS channel speaks SMPP today (:mod:`telcolens.itinerary.smpp`); China Telecom's
gateways speak SMGP, so this codec is the first half of that link: bytes in, packets out
and back, with a :class:`SmgpError` naming what is wrong with a bad packet.

Layout source: the SMGP 3.0 specification (中国电信 《中国电信短消息网关协议 SMGP V3.0》),
as implemented by the open-source gateways SMSGate (``com.zx.sms.codec.smgp.msg``:
``SMGPSubmitMessage.getBody``/``setBody``, ``SMGPLoginMessage``) and drondea's sms-client
(``SmgpConstants`` for the TLV tags), checked field by field against both:

* header, 12 bytes: PacketLength, RequestID, SequenceID, each an unsigned 32-bit
  big-endian integer; PacketLength counts the header too.
* Login (0x00000001): ClientID 8, AuthenticatorClient 16 = MD5(ClientID + 7 zero bytes +
  shared secret + Timestamp as 10 ASCII digits ``MMDDHHMMSS``), LoginMode 1 (0 send,
  1 receive, 2 both), TimeStamp 4 (the same ``MMDDHHMMSS`` as an integer), ClientVersion 1
  (0x30). Login_Resp: Status 4, AuthenticatorServer 16, ServerVersion 1.
* Submit (0x00000002): MsgType 1, NeedReport 1, Priority 1, ServiceID 10, FeeType 2,
  FeeCode 6, FixedFee 6, MsgFormat 1, ValidTime 17, AtTime 17, SrcTermID 21,
  ChargeTermID 21, DestTermIDCount 1, DestTermID 21 each, MsgLength 1, MsgContent,
  Reserve 8, then TLVs. Submit_Resp: MsgID 10, Status 4.
* Deliver (0x00000003): MsgID 10, IsReport 1, MsgFormat 1, RecvTime 14, SrcTermID 21,
  DestTermID 21, MsgLength 1, MsgContent, Reserve 8, then TLVs. Deliver_Resp: MsgID 10,
  Status 4.
* Active_Test (0x00000004), Exit (0x00000006) and their responses (| 0x80000000): no body.
* TLV: Tag 2, Length 2, Value; tags in :class:`Tag`.
* A status report (Deliver with IsReport=1) in MsgContent: ``id:`` MsgID 10 (binary),
  `` sub:`` 3, `` dlvrd:`` 3, `` submit date:`` 10, `` done date:`` 10, `` stat:`` 7,
  `` err:`` 3, `` text:`` 20 (SMSGate's ``SMGPReportData``).

Fixed-width text fields are ASCII padded with NUL bytes on the right.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from dataclasses import dataclass, field
from enum import IntEnum

from telcolens.errors import BadInput

HEADER = struct.Struct(">III")
HEADER_SIZE = HEADER.size
CLIENT_VERSION = 0x30
# SMGP caps a packet far below this; a bigger length means a corrupt or hostile stream.
MAX_PACKET = 4096


class SmgpError(BadInput):
    """A packet that is not valid SMGP 3.0 (or one this codec does not know)."""


class RequestId(IntEnum):
    LOGIN = 0x00000001
    LOGIN_RESP = 0x80000001
    SUBMIT = 0x00000002
    SUBMIT_RESP = 0x80000002
    DELIVER = 0x00000003
    DELIVER_RESP = 0x80000003
    ACTIVE_TEST = 0x00000004
    ACTIVE_TEST_RESP = 0x80000004
    EXIT = 0x00000006
    EXIT_RESP = 0x80000006


class LoginMode(IntEnum):
    SEND = 0
    RECEIVE = 1
    TRANSMIT = 2


class MsgFormat(IntEnum):
    ASCII = 0
    BINARY = 4
    UCS2 = 8
    GB18030 = 15


class Tag(IntEnum):
    TP_PID = 0x0001
    TP_UDHI = 0x0002
    LINK_ID = 0x0003
    CHARGE_USER_TYPE = 0x0004
    CHARGE_TERM_TYPE = 0x0005
    CHARGE_TERM_PSEUDO = 0x0006
    DEST_TERM_TYPE = 0x0007
    DEST_TERM_PSEUDO = 0x0008
    PK_TOTAL = 0x0009
    PK_NUMBER = 0x000A
    SUBMIT_MSG_TYPE = 0x000B
    SP_DEAL_RESULT = 0x000C
    SRC_TERM_TYPE = 0x000D
    SRC_TERM_PSEUDO = 0x000E
    NODES_COUNT = 0x000F
    MSG_SRC = 0x0010
    SRC_TYPE = 0x0011
    M_SERVICE_ID = 0x0012


# --- the field primitives ----------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def u8(self, value: int) -> None:
        self.parts.append(struct.pack(">B", value))

    def u32(self, value: int) -> None:
        self.parts.append(struct.pack(">I", value))

    def octets(self, value: bytes, size: int, name: str) -> None:
        if len(value) > size:
            raise SmgpError(f"{name}: {len(value)} bytes, the field holds {size}")
        self.parts.append(value.ljust(size, b"\0"))

    def text(self, value: str, size: int, name: str) -> None:
        try:
            raw = value.encode("ascii")
        except UnicodeEncodeError as exc:
            raise SmgpError(f"{name}: {value!r} is not ASCII") from exc
        self.octets(raw, size, name)

    def content(self, value: bytes) -> None:
        if len(value) > 255:
            raise SmgpError(f"MsgContent: {len(value)} bytes, MsgLength holds at most 255")
        self.u8(len(value))
        self.parts.append(value)

    def tlvs(self, tlvs: dict[int, bytes]) -> None:
        for tag, value in tlvs.items():
            self.parts.append(struct.pack(">HH", int(tag), len(value)) + value)

    def body(self) -> bytes:
        return b"".join(self.parts)


class _Reader:
    def __init__(self, data: bytes, packet: str) -> None:
        self.data, self.pos, self.packet = data, 0, packet

    def take(self, size: int, name: str) -> bytes:
        if self.pos + size > len(self.data):
            raise SmgpError(f"{self.packet}: body ends inside {name}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u8(self, name: str) -> int:
        return self.take(1, name)[0]

    def u32(self, name: str) -> int:
        return struct.unpack(">I", self.take(4, name))[0]

    def text(self, size: int, name: str) -> str:
        raw = self.take(size, name).rstrip(b"\0")
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise SmgpError(f"{self.packet}: {name} is not ASCII") from exc

    def content(self) -> bytes:
        return self.take(self.u8("MsgLength"), "MsgContent")

    def tlvs(self) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        while self.pos < len(self.data):
            tag, size = struct.unpack(">HH", self.take(4, "a TLV header"))
            out[tag] = self.take(size, f"TLV 0x{tag:04x}")
        return out

    def end(self) -> None:
        if self.pos != len(self.data):
            raise SmgpError(f"{self.packet}: {len(self.data) - self.pos} bytes after the body")


# --- the packets -------------------------------------------------------------------------


def timestamp(moment: dt.datetime) -> str:
    """SMGP's login timestamp, ``MMDDHHMMSS``."""
    return moment.strftime("%m%d%H%M%S")


def authenticator_client(client_id: str, secret: str, stamp: str) -> bytes:
    """MD5(ClientID + 7 zero bytes + shared secret + Timestamp), the Login's proof."""
    return hashlib.md5(
        client_id.encode("ascii") + b"\0" * 7 + secret.encode() + stamp.encode("ascii")
    ).digest()


def authenticator_server(status: int, client_auth: bytes, secret: str) -> bytes:
    """MD5(Status + AuthenticatorClient + shared secret), the Login_Resp's proof."""
    return hashlib.md5(struct.pack(">I", status) + client_auth + secret.encode()).digest()


@dataclass(frozen=True)
class Login:
    client_id: str
    authenticator: bytes
    login_mode: int = LoginMode.TRANSMIT
    timestamp: int = 0
    client_version: int = CLIENT_VERSION
    request_id = RequestId.LOGIN

    @classmethod
    def create(
        cls, client_id: str, secret: str, moment: dt.datetime, mode: int = LoginMode.TRANSMIT
    ) -> Login:
        """A Login for ``client_id`` at ``moment``, its authenticator computed."""
        stamp = timestamp(moment)
        return cls(client_id, authenticator_client(client_id, secret, stamp), mode, int(stamp))

    def verify(self, secret: str) -> bool:
        """Whether the authenticator was made with ``secret`` (the gateway's check)."""
        stamp = f"{self.timestamp:010d}"
        return self.authenticator == authenticator_client(self.client_id, secret, stamp)

    def _encode(self, w: _Writer) -> None:
        w.text(self.client_id, 8, "ClientID")
        w.octets(self.authenticator, 16, "AuthenticatorClient")
        w.u8(self.login_mode)
        w.u32(self.timestamp)
        w.u8(self.client_version)

    @classmethod
    def _decode(cls, r: _Reader) -> Login:
        return cls(
            r.text(8, "ClientID"),
            r.take(16, "AuthenticatorClient"),
            r.u8("LoginMode"),
            r.u32("TimeStamp"),
            r.u8("ClientVersion"),
        )


@dataclass(frozen=True)
class LoginResp:
    status: int
    authenticator: bytes = b"\0" * 16
    server_version: int = CLIENT_VERSION
    request_id = RequestId.LOGIN_RESP

    def _encode(self, w: _Writer) -> None:
        w.u32(self.status)
        w.octets(self.authenticator, 16, "AuthenticatorServer")
        w.u8(self.server_version)

    @classmethod
    def _decode(cls, r: _Reader) -> LoginResp:
        return cls(r.u32("Status"), r.take(16, "AuthenticatorServer"), r.u8("ServerVersion"))


@dataclass(frozen=True)
class Submit:
    src_term_id: str
    dest_term_ids: tuple[str, ...]
    content: bytes
    msg_format: int = MsgFormat.UCS2
    msg_type: int = 6  # MT, the gateway's "submit to a terminal"
    need_report: int = 1
    priority: int = 0
    service_id: str = ""
    fee_type: str = "00"
    fee_code: str = "000000"
    fixed_fee: str = "000000"
    valid_time: str = ""
    at_time: str = ""
    charge_term_id: str = ""
    reserve: bytes = b""
    tlvs: dict[int, bytes] = field(default_factory=dict)
    request_id = RequestId.SUBMIT

    def _encode(self, w: _Writer) -> None:
        if not 1 <= len(self.dest_term_ids) <= 99:
            raise SmgpError(f"DestTermIDCount: {len(self.dest_term_ids)}, must be 1 to 99")
        w.u8(self.msg_type)
        w.u8(self.need_report)
        w.u8(self.priority)
        w.text(self.service_id, 10, "ServiceID")
        w.text(self.fee_type, 2, "FeeType")
        w.text(self.fee_code, 6, "FeeCode")
        w.text(self.fixed_fee, 6, "FixedFee")
        w.u8(self.msg_format)
        w.text(self.valid_time, 17, "ValidTime")
        w.text(self.at_time, 17, "AtTime")
        w.text(self.src_term_id, 21, "SrcTermID")
        w.text(self.charge_term_id, 21, "ChargeTermID")
        w.u8(len(self.dest_term_ids))
        for number in self.dest_term_ids:
            w.text(number, 21, "DestTermID")
        w.content(self.content)
        w.octets(self.reserve, 8, "Reserve")
        w.tlvs(self.tlvs)

    @classmethod
    def _decode(cls, r: _Reader) -> Submit:
        head = {
            "msg_type": r.u8("MsgType"),
            "need_report": r.u8("NeedReport"),
            "priority": r.u8("Priority"),
            "service_id": r.text(10, "ServiceID"),
            "fee_type": r.text(2, "FeeType"),
            "fee_code": r.text(6, "FeeCode"),
            "fixed_fee": r.text(6, "FixedFee"),
            "msg_format": r.u8("MsgFormat"),
            "valid_time": r.text(17, "ValidTime"),
            "at_time": r.text(17, "AtTime"),
        }
        src = r.text(21, "SrcTermID")
        charge = r.text(21, "ChargeTermID")
        count = r.u8("DestTermIDCount")
        if not 1 <= count <= 99:
            raise SmgpError(f"Submit: DestTermIDCount {count}, must be 1 to 99")
        dests = tuple(r.text(21, "DestTermID") for _ in range(count))
        content = r.content()
        reserve = r.take(8, "Reserve").rstrip(b"\0")
        return cls(src, dests, content, charge_term_id=charge, reserve=reserve,
                   tlvs=r.tlvs(), **head)  # fmt: skip

    @property
    def text(self) -> str:
        return decode_content(self.content, self.msg_format, udhi=_udhi(self.tlvs))


@dataclass(frozen=True)
class _MsgIdStatus:
    msg_id: bytes
    status: int = 0

    def _encode(self, w: _Writer) -> None:
        w.octets(self.msg_id, 10, "MsgID")
        w.u32(self.status)

    @classmethod
    def _decode(cls, r: _Reader):
        return cls(r.take(10, "MsgID"), r.u32("Status"))


@dataclass(frozen=True)
class SubmitResp(_MsgIdStatus):
    request_id = RequestId.SUBMIT_RESP


@dataclass(frozen=True)
class DeliverResp(_MsgIdStatus):
    request_id = RequestId.DELIVER_RESP


@dataclass(frozen=True)
class Deliver:
    msg_id: bytes
    src_term_id: str
    dest_term_id: str
    content: bytes
    msg_format: int = MsgFormat.ASCII
    is_report: int = 0
    recv_time: str = ""  # YYYYMMDDHHMMSS
    reserve: bytes = b""
    tlvs: dict[int, bytes] = field(default_factory=dict)
    request_id = RequestId.DELIVER

    def _encode(self, w: _Writer) -> None:
        w.octets(self.msg_id, 10, "MsgID")
        w.u8(self.is_report)
        w.u8(self.msg_format)
        w.text(self.recv_time, 14, "RecvTime")
        w.text(self.src_term_id, 21, "SrcTermID")
        w.text(self.dest_term_id, 21, "DestTermID")
        w.content(self.content)
        w.octets(self.reserve, 8, "Reserve")
        w.tlvs(self.tlvs)

    @classmethod
    def _decode(cls, r: _Reader) -> Deliver:
        msg_id = r.take(10, "MsgID")
        is_report = r.u8("IsReport")
        msg_format = r.u8("MsgFormat")
        recv_time = r.text(14, "RecvTime")
        src = r.text(21, "SrcTermID")
        dest = r.text(21, "DestTermID")
        content = r.content()
        reserve = r.take(8, "Reserve").rstrip(b"\0")
        return cls(msg_id, src, dest, content, msg_format, is_report, recv_time, reserve,
                   r.tlvs())  # fmt: skip

    @property
    def text(self) -> str:
        return decode_content(self.content, self.msg_format, udhi=_udhi(self.tlvs))

    def report(self) -> StatusReport:
        """The status report this Deliver carries (IsReport=1)."""
        if not self.is_report:
            raise SmgpError("Deliver: IsReport is 0, the content is a message")
        return StatusReport.decode(self.content)


_REPORT_FIELDS = (
    ("id:", 10), (" sub:", 3), (" dlvrd:", 3), (" submit date:", 10), (" done date:", 10),
    (" stat:", 7), (" err:", 3), (" text:", 20),
)  # fmt: skip


@dataclass(frozen=True)
class StatusReport:
    """The MsgContent of a Deliver with IsReport=1: the fate of an earlier Submit.

    ``id:`` carries the Submit_Resp's 10-byte MsgID in binary, then fixed-width ASCII:
    ``sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000
    text:`` (20 bytes of the original text).
    """

    msg_id: bytes
    stat: str
    err: str = "000"
    submit_date: str = ""
    done_date: str = ""
    sub: str = "001"
    dlvrd: str = "001"
    text: bytes = b""

    def encode(self) -> bytes:
        text_fields = (self.sub, self.dlvrd, self.submit_date, self.done_date, self.stat, self.err)
        values = (self.msg_id, *(f.encode("ascii") for f in text_fields), self.text)
        out = []
        for (label, size), value in zip(_REPORT_FIELDS, values, strict=True):
            if len(value) > size:
                raise SmgpError(f"status report {label.strip()} {len(value)} bytes, holds {size}")
            out.append(label.encode() + value.ljust(size, b"\0" if label == "id:" else b" "))
        return b"".join(out)

    @classmethod
    def decode(cls, content: bytes) -> StatusReport:
        values, pos = [], 0
        for label, size in _REPORT_FIELDS:
            got = content[pos : pos + len(label)]
            if got.lower() != label.encode():
                raise SmgpError(f"status report: expected {label.strip()!r} at byte {pos}")
            pos += len(label)
            if label != " text:" and pos + size > len(content):
                raise SmgpError(f"status report ends inside {label.strip()!r}")
            values.append(content[pos : pos + size])
            pos += size
        msg_id, *fields, text = values
        sub, dlvrd, submit_date, done_date, stat, err = (
            f.decode("ascii", errors="replace").strip() for f in fields
        )
        return cls(msg_id, stat, err, submit_date, done_date, sub, dlvrd, text.rstrip(b"\0 "))


@dataclass(frozen=True)
class _Empty:
    def _encode(self, w: _Writer) -> None:
        pass

    @classmethod
    def _decode(cls, r: _Reader):
        return cls()


@dataclass(frozen=True)
class ActiveTest(_Empty):
    request_id = RequestId.ACTIVE_TEST


@dataclass(frozen=True)
class ActiveTestResp(_Empty):
    request_id = RequestId.ACTIVE_TEST_RESP


@dataclass(frozen=True)
class Exit(_Empty):
    request_id = RequestId.EXIT


@dataclass(frozen=True)
class ExitResp(_Empty):
    request_id = RequestId.EXIT_RESP


Packet = (
    Login | LoginResp | Submit | SubmitResp | Deliver | DeliverResp
    | ActiveTest | ActiveTestResp | Exit | ExitResp
)  # fmt: skip

_CLASSES: dict[int, type] = {
    cls.request_id: cls
    for cls in (Login, LoginResp, Submit, SubmitResp, Deliver, DeliverResp,
                ActiveTest, ActiveTestResp, Exit, ExitResp)
}  # fmt: skip


def _udhi(tlvs: dict[int, bytes]) -> bool:
    return tlvs.get(Tag.TP_UDHI, b"\0") != b"\0"


def decode_content(content: bytes, msg_format: int, *, udhi: bool = False) -> str:
    """The text of a MsgContent in its MsgFormat, a user data header (TP_udhi) skipped."""
    if udhi and content:
        content = content[1 + content[0] :]
    codec = {MsgFormat.UCS2: "utf-16-be", MsgFormat.GB18030: "gb18030"}.get(msg_format, "latin-1")
    return content.decode(codec, errors="replace")


# --- whole packets -----------------------------------------------------------------------


def encode(packet: Packet, sequence_id: int) -> bytes:
    """The bytes of one packet, header included."""
    w = _Writer()
    packet._encode(w)
    body = w.body()
    return HEADER.pack(HEADER_SIZE + len(body), int(packet.request_id), sequence_id) + body


def packet_length(header: bytes) -> int:
    """The PacketLength of a packet from its first 12 bytes, checked for sanity."""
    if len(header) < HEADER_SIZE:
        raise SmgpError(f"header: {len(header)} bytes, needs {HEADER_SIZE}")
    length = HEADER.unpack_from(header)[0]
    if not HEADER_SIZE <= length <= MAX_PACKET:
        raise SmgpError(f"PacketLength {length} outside {HEADER_SIZE}..{MAX_PACKET}")
    return length


def decode(data: bytes) -> tuple[int, Packet]:
    """``(sequence_id, packet)`` of exactly one packet's bytes."""
    length = packet_length(data)
    if length != len(data):
        raise SmgpError(f"PacketLength says {length} bytes, the packet has {len(data)}")
    _, request_id, sequence_id = HEADER.unpack_from(data)
    cls = _CLASSES.get(request_id)
    if cls is None:
        raise SmgpError(f"unknown RequestID 0x{request_id:08x}")
    reader = _Reader(data[HEADER_SIZE:], cls.__name__)
    packet = cls._decode(reader)
    reader.end()
    return sequence_id, packet


def split(buffer: bytes) -> tuple[list[tuple[int, Packet]], bytes]:
    """The whole packets at the start of a stream buffer, and the bytes left over."""
    packets = []
    while len(buffer) >= HEADER_SIZE:
        length = packet_length(buffer)
        if len(buffer) < length:
            break
        packets.append(decode(buffer[:length]))
        buffer = buffer[length:]
    return packets, buffer
