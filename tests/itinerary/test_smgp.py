"""SMGP 3.0 codec: the byte layout, the login authenticator, round trips and bad packets."""

from __future__ import annotations

import datetime as dt
import struct

import pytest

from telcolens.errors import BadInput
from telcolens.itinerary import smgp


def test_header_is_length_request_id_sequence_big_endian():
    data = smgp.encode(smgp.ActiveTest(), sequence_id=0x01020304)
    assert data == bytes.fromhex("0000000c0000000401020304")


def test_login_layout_byte_by_byte():
    login = smgp.Login.create("12345678", "secret", dt.datetime(2026, 12, 1, 9, 30, 15))
    data = smgp.encode(login, sequence_id=7)
    assert len(data) == 12 + 8 + 16 + 1 + 4 + 1
    assert data[:12] == bytes.fromhex("0000002a0000000100000007")
    assert data[12:20] == b"12345678"
    # md5sum of printf '12345678\0\0\0\0\0\0\0secret1201093015', computed outside Python.
    assert data[20:36] == bytes.fromhex("1d8efb2ce6db8a8844c117ff66220eb7")
    assert data[36] == 2  # LoginMode: send and receive
    assert data[37:41] == struct.pack(">I", 1201093015)
    assert data[41] == 0x30
    assert login.verify("secret")
    assert not login.verify("wrong")


def test_short_client_id_is_nul_padded():
    data = smgp.encode(smgp.Login("1234", b"\1" * 16, 0, 1), sequence_id=1)
    assert data[12:20] == b"1234\0\0\0\0"
    assert smgp.decode(data)[1].client_id == "1234"


def test_submit_layout_offsets():
    text = "您好"
    submit = smgp.Submit(
        src_term_id="10661234",
        dest_term_ids=("13312345678",),
        content=text.encode("utf-16-be"),
        service_id="XCK",
        tlvs={smgp.Tag.TP_UDHI: b"\0"},
    )
    data = smgp.encode(submit, sequence_id=9)
    body = data[12:]
    assert struct.unpack(">I", data[:4])[0] == len(data)
    assert body[0] == 6 and body[1] == 1 and body[2] == 0
    assert body[3:13] == b"XCK" + b"\0" * 7
    assert body[13:15] == b"00" and body[15:21] == b"000000" and body[21:27] == b"000000"
    assert body[27] == 8  # MsgFormat UCS-2
    assert body[28:45] == b"\0" * 17 and body[45:62] == b"\0" * 17
    assert body[62:83] == b"10661234".ljust(21, b"\0")
    assert body[83:104] == b"\0" * 21
    assert body[104] == 1
    assert body[105:126] == b"13312345678".ljust(21, b"\0")
    assert body[126] == 4 and body[127:131] == text.encode("utf-16-be")
    assert body[131:139] == b"\0" * 8
    assert body[139:] == bytes.fromhex("0002000100")


@pytest.mark.parametrize(
    "packet",
    [
        smgp.Login.create("abc", "s3cret", dt.datetime(2026, 1, 2, 3, 4, 5), smgp.LoginMode.SEND),
        smgp.LoginResp(0, b"\x11" * 16, 0x30),
        smgp.Submit(
            "1066",
            ("13300000001", "13300000002"),
            "行程卡".encode("utf-16-be"),
            tlvs={smgp.Tag.PK_TOTAL: b"\2", smgp.Tag.PK_NUMBER: b"\1"},
        ),
        smgp.SubmitResp(b"0123456789", 0),
        smgp.Deliver(
            b"\x99" * 10,
            "13312345678",
            "1066",
            b"CXMYD",
            recv_time="20261201093015",
            tlvs={smgp.Tag.LINK_ID: b"link-1"},
        ),
        smgp.DeliverResp(b"\x99" * 10, 0),
        smgp.ActiveTest(),
        smgp.ActiveTestResp(),
        smgp.Exit(),
        smgp.ExitResp(),
    ],
    ids=lambda p: type(p).__name__,
)
def test_round_trip(packet):
    sequence_id, decoded = smgp.decode(smgp.encode(packet, sequence_id=0xFFFFFFFE))
    assert sequence_id == 0xFFFFFFFE
    assert decoded == packet


def test_deliver_text_decodes_ucs2_and_skips_udh():
    udh = bytes.fromhex("0500032a0201")
    deliver = smgp.Deliver(b"\0" * 10, "1", "2", udh + "ＣＸＭＹＤ".encode("utf-16-be"),
                           smgp.MsgFormat.UCS2, tlvs={smgp.Tag.TP_UDHI: b"\1"})  # fmt: skip
    assert smgp.decode(smgp.encode(deliver, 1))[1].text == "ＣＸＭＹＤ"


def test_split_a_stream_into_packets():
    stream = smgp.encode(smgp.ActiveTest(), 1) + smgp.encode(smgp.Exit(), 2)
    packets, rest = smgp.split(stream + b"\0\0\0")
    assert packets == [(1, smgp.ActiveTest()), (2, smgp.Exit())]
    assert rest == b"\0\0\0"


def test_length_mismatch_is_an_error():
    data = smgp.encode(smgp.SubmitResp(b"0123456789", 0), 1)
    with pytest.raises(smgp.SmgpError, match="PacketLength says 26"):
        smgp.decode(data[:-1])
    with pytest.raises(smgp.SmgpError, match="PacketLength says"):
        smgp.decode(data + b"\0")


def test_body_shorter_than_its_fields_is_an_error():
    header = struct.pack(">III", 12 + 5, smgp.RequestId.SUBMIT_RESP, 1)
    with pytest.raises(smgp.SmgpError, match="SubmitResp: body ends inside MsgID"):
        smgp.decode(header + b"01234")


def test_extra_bytes_after_an_empty_body_are_an_error():
    with pytest.raises(smgp.SmgpError, match="1 bytes after the body"):
        smgp.decode(struct.pack(">III", 13, smgp.RequestId.EXIT, 1) + b"\0")


def test_unknown_request_id_is_an_error():
    with pytest.raises(smgp.SmgpError, match="unknown RequestID 0x00000099"):
        smgp.decode(struct.pack(">III", 12, 0x99, 1))


def test_absurd_packet_length_is_an_error():
    with pytest.raises(smgp.SmgpError, match="PacketLength 8 outside"):
        smgp.decode(struct.pack(">III", 8, smgp.RequestId.EXIT, 1))
    with pytest.raises(smgp.SmgpError, match="outside"):
        smgp.split(struct.pack(">III", 1 << 30, smgp.RequestId.EXIT, 1))


def test_fields_too_long_are_refused_on_encode():
    with pytest.raises(smgp.SmgpError, match="ClientID: 9 bytes"):
        smgp.encode(smgp.Login("123456789", b"\0" * 16), 1)
    with pytest.raises(smgp.SmgpError, match="MsgContent: 256 bytes"):
        smgp.encode(smgp.Submit("1", ("2",), b"x" * 256), 1)
    with pytest.raises(smgp.SmgpError, match="DestTermIDCount: 0"):
        smgp.encode(smgp.Submit("1", (), b"x"), 1)


def test_bad_packet_is_bad_input():
    assert issubclass(smgp.SmgpError, BadInput)


def test_status_report_layout_and_round_trip():
    report = smgp.StatusReport(b"\x01" * 10, "DELIVRD", "000", "2612010930", "2612010931")
    raw = report.encode()
    assert raw.startswith(b"id:" + b"\x01" * 10 + b" sub:001 dlvrd:001 submit date:2612010930")
    assert b" done date:2612010931 stat:DELIVRD err:000 text:" in raw
    assert len(raw) == 10 + 3 + 3 + 10 + 10 + 7 + 3 + 20 + len(
        "id: sub: dlvrd: submit date: done date: stat: err: text:"
    )
    deliver = smgp.Deliver(b"\x02" * 10, "13312345678", "1066", raw, is_report=1)
    decoded = smgp.decode(smgp.encode(deliver, 5))[1].report()
    assert decoded == report


def test_status_report_errors():
    with pytest.raises(smgp.SmgpError, match="IsReport is 0"):
        smgp.Deliver(b"\0" * 10, "1", "2", b"hello").report()
    with pytest.raises(smgp.SmgpError, match="expected 'stat:'"):
        smgp.StatusReport.decode(
            smgp.StatusReport(b"\0" * 10, "DELIVRD").encode().replace(b"stat:", b"xxxx:")
        )
    with pytest.raises(smgp.SmgpError, match="ends inside 'sub:'"):
        smgp.StatusReport.decode(b"id:0123456789 sub:0")
