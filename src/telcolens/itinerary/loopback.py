"""A real SMSC on loopback: Debian's Net::SMPP in the SMSC role, for the demo and tests.

``loopback_smsc.pl`` (beside this module; options in its header) listens on 127.0.0.1,
delivers the keywords it is given as ``deliver_sm`` once an ESME binds, answers every
``submit_sm`` and records each PDU it receives as a JSON line. :func:`round_trip` runs one
visited-places query through it end to end: a subscriber's keyword in, the ESME's
answer out, decoded from what the SMSC received.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from telcolens.errors import TelcolensError

LOOPBACK_SMSC = Path(__file__).with_name("loopback_smsc.pl")


class SmscMissing(TelcolensError):
    """Perl's Net::SMPP is not installed (Debian: libnet-smpp-perl)."""


def available() -> bool:
    """Whether perl with Net::SMPP is here to run the loopback SMSC."""
    if shutil.which("perl") is None:
        return False
    probe = subprocess.run(["perl", "-MNet::SMPP", "-e1"], capture_output=True, check=False)
    return probe.returncode == 0


class LoopbackSmsc:
    """One ``loopback_smsc.pl`` process; ``start`` again brings one up on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.record = folder / "smsc.jsonl"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def start(self, *args: str, timeout: float = 30.0) -> LoopbackSmsc:
        if not available():
            raise SmscMissing(
                "the loopback SMSC needs perl's Net::SMPP: apt-get install libnet-smpp-perl"
            )
        port_file = self.folder / "port"
        port_file.unlink(missing_ok=True)
        cmd = ["perl", str(LOOPBACK_SMSC), "--port", str(self.port), "--port-file", str(port_file),
               "--record", str(self.record), *args]  # fmt: skip
        with (self.folder / "smsc.log").open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise SmscMissing(
                    f"the loopback SMSC did not start (see {self.folder / 'smsc.log'})"
                )
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None

    def events(self, name: str | None = None) -> list[dict]:
        """The PDUs received so far (a half-written last line is left for later)."""
        if not self.record.exists():
            return []
        out = []
        for line in self.record.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return [e for e in out if name is None or e["event"] == name]


def reassemble(submits: list[dict]) -> dict[str, list[str]]:
    """Each destination's texts: UCS-2 decoded, concatenated parts joined by reference."""
    texts: dict[str, list[str]] = {}
    pending: dict[tuple[str, int], dict[int, bytes]] = {}
    for event in submits:
        if event["data_coding"] != 8:
            raise ValueError(f"submit_sm with data_coding {event['data_coding']}, not UCS-2")
        raw = bytes.fromhex(event["short_message"])
        number = event["destination_addr"]
        if event["esm_class"] & 0x40:  # a UDH: IEI 0, an 8-bit reference
            udh_len = raw[0]
            ref, total, seq = raw[3], raw[4], raw[5]
            parts = pending.setdefault((number, ref), {})
            parts[seq] = raw[1 + udh_len :]
            if len(parts) == total:
                body = b"".join(parts[i] for i in range(1, total + 1))
                texts.setdefault(number, []).append(body.decode("utf-16-be"))
                del pending[(number, ref)]
        else:
            texts.setdefault(number, []).append(raw.decode("utf-16-be"))
    return texts


@dataclass(frozen=True)
class RoundTrip:
    number: str
    keyword: str
    answer: str
    parts: int
    seconds: float


def round_trip(
    index: Path, number: str, folder: Path, *, keyword: str = "CXMYD", timeout: float = 60.0
) -> RoundTrip:
    """Text ``keyword`` from ``number`` through the loopback SMSC; the answer it got back."""
    from telcolens.itinerary.smpp import SmppSettings, run_esme

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    smsc = LoopbackSmsc(folder).start("--deliver", f"{number}={keyword}")
    stop = threading.Event()
    esme = threading.Thread(
        target=run_esme,
        args=(SmppSettings(port=smsc.port, keyword=keyword), index, stop),
        kwargs={"outbox_path": folder / "outbox.sqlite"},
        daemon=True,
    )
    try:
        esme.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            submits = [e for e in smsc.events("submit_sm") if e.get("acked")]
            texts = reassemble(submits).get(number)
            if texts:
                seconds = time.perf_counter() - started
                return RoundTrip(number, keyword, texts[0], len(submits), seconds)
            time.sleep(0.05)
        raise TelcolensError(f"no answer through the loopback SMSC within {timeout:g} s")
    finally:
        stop.set()
        if esme.is_alive():
            esme.join(15)
        smsc.kill()
