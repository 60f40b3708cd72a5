"""SMTP sink for the benchmark scripts: accepts every message, records each as one JSON line.

    python3 scripts/lib/smtp_sink.py PORT_FILE LOG SPOOL STATS

Listens on 127.0.0.1 on a free port and writes the port to PORT_FILE once it listens. Each
message is appended to SPOOL (unless SPOOL is "-": nothing is kept of the body) and one JSON
line goes to LOG: arrival time (time.time()), envelope recipients (lower-cased), Message-ID,
kind, the SMTP connection number, and where the message is in the spool ("off"/"len"; -1
without a spool). Kind is "confirm" when the message holds a /newsletters/confirm?token=
link, "manage" when it holds a manage link (welcome emails and newsletter editions), else
"other"; it is found on a quick quoted-printable decoding of the whole message, so that the
sink stays cheap while the server is measured.

On SIGTERM or SIGINT it stops and writes STATS (JSON): connections opened and how they ended
("quit", "eof": closed without QUIT, "error", "open" at the end), messages, distinct
recipients, and the recipients that got more than one message ("duplicate_recipients": how
many, "duplicate_extra": the messages beyond the first, "duplicate_sample": a few of them).

Written for scripts/bench-editions; the sink embedded in scripts/bench-newsletters is the same
protocol code and could use this file as it is.
"""
import asyncio
import binascii
import json
import os
import re
import signal
import sys
import time

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
CONFIRM = b"/newsletters/confirm?token="
MANAGE = b"/newsletters/manage?token="


class Sink:
    def __init__(self, log, spool):
        self.log, self.spool = log, spool
        self.connections = 0
        # How connections ended: "quit", "eof" (closed without QUIT), "error".
        self.ends = {"quit": 0, "eof": 0, "error": 0, "open": 0}
        self.messages = 0
        # Open connections, closed by close_all() when the sink stops.
        self.writers = set()
        self.stopping = False
        # Messages per recipient, to tell duplicates at the end.
        self.per_rcpt = {}

    def record(self, conn, rcpts, data):
        arrived = time.time()
        # Undo dot-stuffing (RFC 5321 4.5.2).
        data = data.replace(b"\r\n..", b"\r\n.")
        if data.startswith(b".."):
            data = data[1:]
        decoded = binascii.a2b_qp(data)
        kind = "confirm" if CONFIRM in decoded else ("manage" if MANAGE in decoded else "other")
        head = data.split(b"\r\n\r\n", 1)[0]
        m = MESSAGE_ID.search(head)
        offset = -1
        if self.spool is not None:
            offset = self.spool.tell()
            self.spool.write(data)
            self.spool.flush()
        self.messages += 1
        for r in rcpts:
            self.per_rcpt[r] = self.per_rcpt.get(r, 0) + 1
        self.log.write(json.dumps({
            "t": arrived, "rcpt": rcpts, "mid": m.group(1).decode("ascii", "replace") if m else "",
            "kind": kind, "conn": conn, "off": offset, "len": len(data) if self.spool is not None else -1,
        }) + "\n")
        self.log.flush()

    async def handle(self, reader, writer):
        self.connections += 1
        conn = self.connections
        write = writer.write
        self.writers.add(writer)
        rcpts = []
        write(b"220 sink.localhost ESMTP bench sink\r\n")
        end = "open"
        try:
            while True:
                await writer.drain()
                line = await reader.readline()
                if not line:
                    end = "open" if self.stopping else "eof"
                    break
                verb = line[:4].upper()
                if verb == b"EHLO":
                    write(b"250-sink.localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n")
                elif verb == b"HELO":
                    write(b"250 sink.localhost\r\n")
                elif verb == b"MAIL":
                    rcpts = []
                    write(b"250 2.1.0 OK\r\n")
                elif verb == b"RCPT":
                    addr = line.decode("utf-8", "replace").split(":", 1)[-1].strip()
                    rcpts.append(addr.split(">", 1)[0].lstrip("<").strip().lower())
                    write(b"250 2.1.5 OK\r\n")
                elif verb == b"DATA":
                    if not rcpts:
                        write(b"503 5.5.1 RCPT first\r\n")
                        continue
                    write(b"354 end with <CRLF>.<CRLF>\r\n")
                    await writer.drain()
                    data = b""
                    while True:
                        # Whole chunks up to a "." line end, not line by line: cheap in Python.
                        data += await reader.readuntil(b".\r\n")
                        if data == b".\r\n":
                            data = b""
                            break
                        if data.endswith(b"\r\n.\r\n"):
                            data = data[:-3]
                            break
                    self.record(conn, rcpts, data)
                    rcpts = []
                    write(b"250 2.0.0 OK queued\r\n")
                elif verb == b"RSET":
                    rcpts = []
                    write(b"250 2.0.0 OK\r\n")
                elif verb == b"NOOP":
                    write(b"250 2.0.0 OK\r\n")
                elif verb == b"QUIT":
                    write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    end = "quit"
                    break
                elif verb in (b"VRFY", b"EXPN"):
                    write(b"252 2.1.5 cannot verify\r\n")
                else:
                    write(b"502 5.5.2 command not implemented\r\n")
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            end = "error"
            print(f"sink: connection {conn}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        finally:
            self.ends[end] += 1
            self.writers.discard(writer)
            writer.close()

    async def close_all(self):
        """Closes the connections still open (they count as "open"), so that no handler is
        left to be cancelled when the loop ends."""
        self.stopping = True
        for writer in list(self.writers):
            writer.close()
        for _ in range(50):
            if not self.writers:
                break
            await asyncio.sleep(0.01)


async def main(port_file, log_path, spool_path, stats_path):
    spool = None if spool_path == "-" else open(spool_path, "ab")
    try:
        with open(log_path, "a") as log:
            sink = Sink(log, spool)
            server = await asyncio.start_server(sink.handle, "127.0.0.1", 0, limit=64 * 1024 * 1024)
            port = server.sockets[0].getsockname()[1]
            with open(port_file + ".tmp", "w") as f:
                f.write(f"{port}\n")
            os.replace(port_file + ".tmp", port_file)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            async with server:
                await stop.wait()
                await sink.close_all()
    finally:
        if spool is not None:
            spool.close()
    # Connections still open now count as "open".
    ends = dict(sink.ends)
    ends["open"] = sink.connections - sum(v for k, v in ends.items() if k != "open")
    dups = {r: n for r, n in sink.per_rcpt.items() if n > 1}
    with open(stats_path, "w") as f:
        json.dump({
            "connections": sink.connections, "ends": ends, "messages": sink.messages,
            "recipients": len(sink.per_rcpt), "duplicate_recipients": len(dups),
            "duplicate_extra": sum(n - 1 for n in dups.values()),
            "duplicate_sample": sorted(dups.items())[:5],
        }, f)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit("usage: smtp_sink.py PORT_FILE LOG SPOOL|- STATS")
    asyncio.run(main(*sys.argv[1:5]))
