"""Run the SNMP and syslog receivers together on one asyncio loop."""

from __future__ import annotations

from dataclasses import dataclass, field

from telcolens.errors import BadInput
from telcolens.faults.receivers._alarm import Sink
from telcolens.faults.receivers._base import Counters, Receiver
from telcolens.faults.receivers._ber import inform_response
from telcolens.faults.receivers._tcp import SyslogTcpServer, TcpLimits
from telcolens.faults.receivers._transport import UdpListener, serve_udp
from telcolens.faults.receivers.snmp import SnmpMapping, snmp_parser
from telcolens.faults.receivers.syslog import SyslogRules, parse_syslog, syslog_to_alarm

DEFAULT_RCVBUF = 8 * 1024 * 1024


def parse_endpoint(text: str) -> tuple[str, int]:
    """``"127.0.0.1:1162"`` or ``"[::1]:1162"`` as (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise BadInput(f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


@dataclass
class ReceiverConfig:
    """Which receivers to run, where; an endpoint left None is not started (port 0: any).

    ``rcvbuf``: the UDP sockets' SO_RCVBUF (capped by net.core.rmem_max); ``tcp_limits``:
    the syslog TCP listener's idle timeout and connection caps.
    """

    snmp: tuple[str, int] | None = None
    syslog_udp: tuple[str, int] | None = None
    syslog_tcp: tuple[str, int] | None = None
    community: bytes | None = b"public"
    snmp_mapping: SnmpMapping = field(default_factory=SnmpMapping)
    syslog_rules: SyslogRules = field(default_factory=SyslogRules)
    rcvbuf: int | None = DEFAULT_RCVBUF
    tcp_limits: TcpLimits = field(default_factory=TcpLimits)


class Receivers:
    """The configured receivers, all pushing to one sink.

    ``async with Receivers(config, sink) as running:`` listens until the block ends;
    ``running.addresses`` has the bound (host, port) of each, ``running.counters``
    their :class:`Counters` (the UDP ones' ``kernel_dropped`` read afresh).
    """

    def __init__(self, config: ReceiverConfig, sink: Sink) -> None:
        self.config = config
        self.sink = sink
        self.receivers: dict[str, Receiver] = {}
        self.addresses: dict[str, tuple[str, int]] = {}
        self._closers: list[UdpListener | SyslogTcpServer] = []

    @property
    def counters(self) -> dict[str, Counters]:
        for closer in self._closers:
            if isinstance(closer, UdpListener):
                closer.refresh_counters()
        return {name: r.counters for name, r in self.receivers.items()}

    async def start(self) -> None:
        config = self.config
        try:
            if config.snmp is not None:
                parse = snmp_parser(config.community, config.snmp_mapping)
                await self._udp("snmp", config.snmp, parse, respond=inform_response)
            if config.syslog_udp is not None:
                await self._udp("syslog-udp", config.syslog_udp, self._syslog_parse())
            if config.syslog_tcp is not None:
                receiver = self._add("syslog-tcp", self._syslog_parse())
                server = SyslogTcpServer(receiver, config.tcp_limits)
                self._closers.append(server)
                await server.start(*config.syslog_tcp)
                self.addresses["syslog-tcp"] = server.address
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop listening; TCP connections in progress are closed."""
        closers, self._closers = self._closers, []
        for closer in reversed(closers):
            if isinstance(closer, SyslogTcpServer):
                await closer.close()
            else:
                closer.close()

    async def __aenter__(self) -> Receivers:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _add(self, name: str, parse, respond=None) -> Receiver:
        receiver = Receiver(name, self.sink, parse, respond)
        self.receivers[name] = receiver
        return receiver

    async def _udp(self, name: str, endpoint: tuple[str, int], parse, respond=None) -> None:
        receiver = self._add(name, parse, respond)
        listener = await serve_udp(receiver, *endpoint, rcvbuf=self.config.rcvbuf)
        self.addresses[name] = listener.address
        self._closers.append(listener)

    def _syslog_parse(self):
        rules = self.config.syslog_rules

        def parse(data: bytes, address: object):
            return syslog_to_alarm(parse_syslog(data), rules, address)

        return parse
