#!/usr/bin/env python3
"""Ground truth for a capture folder, as ../shared/captures/README.md defines it.

    tools/capture-extract.py FOLDER --describe RAFT_DESCRIBE [--walread WALREAD]

Reads FOLDER/peers.pcapng with tshark (its own `tcp.stream` numbers and `frame.time_epoch`),
reassembles each direction of each connection by sequence number (the first captured copy of
a byte wins), reads the HTTP/1.1 exchanges and writes http.jsonl, conn-NNN-<channel>.bin and
messages.jsonl. `describe` comes from etcd's own raft.DescribeMessage (tools/raft-describe).
With --walread, each FOLDER/mN/ also gets expected-wal.json from etcd's own WAL reader.
"""
import argparse
import bisect
import json
import os
import subprocess
import sys
from collections import OrderedDict

FIELDS = ["tcp.stream", "frame.time_epoch", "ip.src", "ipv6.src", "tcp.srcport", "tcp.seq_raw", "tcp.flags", "tcp.payload"]
SYN, RST, FIN, ACK = 0x02, 0x04, 0x01, 0x10
# raftpb.Snapshot{} as etcd marshals it inside a Message (field 9): an empty ConfState and
# zero index and term, then Reject (10) and RejectHint (11), which gogo always writes.
EMPTY_SNAPSHOT_TAIL = bytes.fromhex("4a0a12080a0228001000180050005800")
LINK_HEARTBEAT = bytes.fromhex("08081000180020002800300040004a0a12080a0228001000180050005800")
MSG_HEARTBEAT, MSG_APP = 8, 3


def tshark_packets(pcap):
    """Each TCP segment: (stream, epoch, (address, port), seq, flags, payload), capture order."""
    command = ["tshark", "-r", pcap, "-o", "tcp.desegment_tcp_streams:FALSE", "-Y", "tcp", "-T", "fields", "-E", "separator=\t"]
    for field in FIELDS:
        command += ["-e", field]
    text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    for line in text.splitlines():
        stream, epoch, ip4, ip6, port, seq, flags, payload = line.split("\t")
        yield int(stream), float(epoch), (ip4 or ip6, int(port)), int(seq), int(flags, 16), bytes.fromhex(payload.replace(":", ""))


class Direction:
    """One direction's segments by sequence number. The first byte is the one after the first
    SYN's number (a stale ACK from a TIME_WAIT socket may come before the SYN/ACK; tshark's
    relative numbers start there too), or the first segment's; each byte timed by its first copy."""

    def __init__(self):
        self.syn_start = self.first_start = None
        self.pieces = []  # (sequence, payload, epoch) in capture order

    def add(self, epoch, seq, flags, payload):
        start = (seq + 1) % 2**32 if flags & SYN else seq
        if flags & SYN and self.syn_start is None:
            self.syn_start = start
        if self.first_start is None:
            self.first_start = start
        if payload:
            self.pieces.append((start, payload, epoch))

    def assembled(self):
        """The contiguous bytes from the first, and runs [(start, epoch)] timing them."""
        base = self.first_start if self.syn_start is None else self.syn_start
        placed = []
        for sequence, payload, epoch in self.pieces:
            offset = (sequence - base) % 2**32
            if offset >= 2**31:  # starts before the first byte: keep the part from it on
                before = 2**32 - offset
                if before >= len(payload):
                    continue
                payload, offset = payload[before:], 0
            placed.append((offset, payload, epoch))
        end = 0  # only the bytes before the first hole count, so only they are laid out
        for offset, payload, _ in sorted(placed, key=lambda piece: piece[0]):
            if offset > end:
                break
            end = max(end, offset + len(payload))
        owner = [-1] * end
        for index, (offset, payload, _) in enumerate(placed):
            for i in range(offset, min(end, offset + len(payload))):
                if owner[i] < 0:
                    owner[i] = index
        data, runs, at = bytearray(), [], 0
        while at < end:
            index = owner[at]
            stop = at
            while stop < end and owner[stop] == index:
                stop += 1
            offset, payload, epoch = placed[index]
            data += payload[at - offset:stop - offset]
            runs.append((at, epoch))
            at = stop
        return TimedBytes(bytes(data), runs)


class TimedBytes:
    def __init__(self, data, runs):
        self.data, self.starts, self.epochs = data, [s for s, _ in runs], [e for _, e in runs]

    def epoch(self, index):
        return self.epochs[bisect.bisect_right(self.starts, index) - 1]


class Body:
    """A de-chunked body: its bytes and, for each, where it sits in the connection's stream."""

    def __init__(self, stream):
        self.stream, self.data, self.spans = stream, bytearray(), []  # spans: (body start, stream start)

    def take(self, start, end):
        self.spans.append((len(self.data), start))
        self.data += self.stream.data[start:end]

    def epoch(self, index):
        at = bisect.bisect_right([s for s, _ in self.spans], index) - 1
        body_start, stream_start = self.spans[at]
        return self.stream.epoch(stream_start + index - body_start)


class Cursor:
    def __init__(self, stream):
        self.stream, self.at = stream, 0

    def head(self):
        """(start line, [(name, value)]) of the next header block, or None."""
        end = self.stream.data.find(b"\r\n\r\n", self.at)
        if end < 0:
            return None
        lines = self.stream.data[self.at:end].decode("latin-1").split("\r\n")
        self.at = end + 4
        headers = []
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers.append((name, value.strip(" \t")))
        return lines[0], headers

    def body(self, headers, has_body, until_close=False):
        """(Body, complete): chunked, by Content-Length, to the end (responses) or empty."""
        body = Body(self.stream)
        if not has_body:
            return body, True
        values = {name.lower(): value for name, value in reversed(headers)}
        data = self.stream.data
        if "chunked" in values.get("transfer-encoding", "").lower():
            while True:
                line_end = data.find(b"\r\n", self.at)
                if line_end < 0:
                    return body, False
                try:
                    size = int(data[self.at:line_end].split(b";")[0].strip(b" \t"), 16)
                except ValueError:
                    return body, False
                self.at = line_end + 2
                if size == 0:
                    while True:
                        end = data.find(b"\r\n", self.at)
                        if end < 0:
                            return body, True
                        empty = end == self.at
                        self.at = end + 2
                        if empty:
                            return body, True
                end = min(len(data), self.at + size)
                body.take(self.at, end)
                complete = end == self.at + size and data[end:end + 2] == b"\r\n"
                self.at = end
                if not complete:
                    return body, False
                self.at += 2
        if "content-length" in values:
            length = int(values["content-length"])
            end = min(len(data), self.at + length)
            body.take(self.at, end)
            self.at = end
            return body, len(body.data) == length
        if not until_close:
            return body, True
        body.take(self.at, len(data))
        self.at = len(data)
        return body, False


def connections(pcap):
    """stream number -> (client bytes, server bytes), both TimedBytes."""
    streams = OrderedDict()
    for stream, epoch, source, seq, flags, payload in tshark_packets(pcap):
        if stream not in streams:
            syn_ack = flags & SYN and flags & ACK
            streams[stream] = {"client": None if syn_ack else source, "first": source, "dirs": {}}
        record = streams[stream]
        record["dirs"].setdefault(source, Direction()).add(epoch, seq, flags, payload)
    out = {}
    for stream, record in streams.items():
        dirs = record["dirs"]
        client = record["client"] or next((s for s in dirs if s != record["first"]), None)
        server = next((s for s in dirs if s != client), None)
        empty = TimedBytes(b"", [])
        out[stream] = (dirs[client].assembled() if client in dirs else empty, dirs[server].assembled() if server in dirs else empty)
    return out


def exchanges(stream, client, server):
    """Each request of a connection with its response, in order."""
    found = []
    cursor = Cursor(client)
    while True:
        head = cursor.head()
        if head is None:
            break
        parts = head[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            break
        body, complete = cursor.body(head[1], True)
        found.append({"conn": stream, "method": parts[0], "path": parts[1], "headers": head[1], "body": body,
                      "complete": complete, "status": None, "response_headers": None, "response": Body(server)})
        if not complete:
            break
    cursor, index = Cursor(server), 0
    while index < len(found):
        head = cursor.head()
        if head is None:
            break
        parts = head[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            break
        code = int(parts[1])
        if 100 <= code < 200:
            continue
        exchange = found[index]
        has_body = exchange["method"] != "HEAD" and code not in (204, 304)
        body, complete = cursor.body(head[1], has_body, until_close=True)
        exchange.update(status=head[0], code=code, response_headers=head[1], response=body)
        index += 1
        if not complete:
            break
    return found


def first_values(headers):
    out = {}
    for name, value in headers:
        out.setdefault(name, value)
    return out


def channel_of(method, path):
    if method == "POST" and path == "/raft":
        return "pipeline"
    if method == "POST" and path == "/raft/snapshot":
        return "snapshot"
    if method == "GET" and path.startswith("/raft/stream/message/"):
        return "stream-message"
    if method == "GET" and path.startswith("/raft/stream/msgapp/"):
        return "stream-msgappv2"
    return None


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7


def message_fields(data):
    """The varint fields 1-8 of a raftpb.Message and its entries' bytes (field 7)."""
    fields, entries, at = {}, [], 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields[number], at = read_varint(data, at)
        elif wire == 2:
            length, at = read_varint(data, at)
            if number == 7:
                entries.append(data[at:at + length])
            at += length
        else:
            raise ValueError(f"wire type {wire} in a raftpb.Message")
    return fields, entries


def entry_index(entry):
    at = 0
    while at < len(entry):
        key, at = read_varint(entry, at)
        if key >> 3 == 3 and key & 7 == 0:
            return read_varint(entry, at)[0]
        if key & 7 == 0:
            _, at = read_varint(entry, at)
        else:
            length, at = read_varint(entry, at)
            at += length
    return 0


def msgapp(to, sender, term, index, entries, commit):
    """The MsgApp etcd's msgAppV2Decoder rebuilds from a type-1 frame, marshaled by etcd."""
    out = bytearray(b"\x08" + varint(MSG_APP) + b"\x10" + varint(to) + b"\x18" + varint(sender))
    out += b"\x20" + varint(term) + b"\x28" + varint(term) + b"\x30" + varint(index)
    for entry in entries:
        out += b"\x3a" + varint(len(entry)) + entry
    return bytes(out + b"\x40" + varint(commit) + EMPTY_SNAPSHOT_TAIL)


def be64(data, at):
    return int.from_bytes(data[at:at + 8], "big")


def stream_frames(data, channel, local, remote):
    """(offset, frame length, message bytes, wire bytes or None) of each whole frame."""
    frames, at = [], 0
    if channel == "stream-message":
        while at + 8 <= len(data):
            length = be64(data, at)
            if at + 8 + length > len(data):
                break
            frames.append((at, 8 + length, data[at + 8:at + 8 + length], None))
            at += 8 + length
        return frames
    term = index = 0
    while at < len(data):
        kind = data[at]
        if kind == 0:
            frames.append((at, 1, LINK_HEARTBEAT, data[at:at + 1]))
            at += 1
        elif kind == 2:
            if at + 9 > len(data) or at + 9 + be64(data, at + 1) > len(data):
                break
            length = be64(data, at + 1)
            message = data[at + 9:at + 9 + length]
            fields, entries = message_fields(message)
            term = fields.get(4, 0)
            index = entry_index(entries[-1]) if entries else fields.get(6, 0)
            frames.append((at, 9 + length, message, data[at:at + 9 + length]))
            at += 9 + length
        elif kind == 1:
            cursor = at + 9
            if cursor > len(data):
                break
            entries = []
            for _ in range(be64(data, at + 1)):
                if cursor + 8 > len(data) or cursor + 8 + be64(data, cursor) > len(data):
                    return frames
                length = be64(data, cursor)
                entries.append(data[cursor + 8:cursor + 8 + length])
                cursor += 8 + length
            if cursor + 8 > len(data):
                break
            commit = be64(data, cursor)
            cursor += 8
            frames.append((at, cursor - at, msgapp(local, remote, term, index, entries, commit), data[at:cursor]))
            index += len(entries)
            at = cursor
        else:
            raise ValueError(f"msgappv2 frame type {kind} at {at}")
    return frames


def describe_all(tool, hexes):
    if not hexes:
        return []
    text = subprocess.run([tool], input="\n".join(hexes) + "\n", check=True, capture_output=True, text=True).stdout
    lines = text.split("\n")[:-1]
    if len(lines) != len(hexes):
        sys.exit(f"capture-extract: {tool} answered {len(lines)} lines for {len(hexes)} messages")
    return lines


def write_jsonl(path, objects):
    with open(path, "w") as out:
        for obj in objects:
            out.write(json.dumps(obj, sort_keys=True) + "\n")


def extract(folder, describe_tool):
    for name in os.listdir(folder):
        if name.startswith("conn-") and name.endswith(".bin"):
            os.remove(os.path.join(folder, name))
    http, messages = [], []
    for stream, (client, server) in sorted(connections(os.path.join(folder, "peers.pcapng")).items()):
        for exchange in exchanges(stream, client, server):
            response = exchange["response"]
            http.append({
                "conn": stream, "method": exchange["method"], "path": exchange["path"],
                "request_headers": first_values(exchange["headers"]), "status": exchange["status"],
                "response_headers": None if exchange["response_headers"] is None else first_values(exchange["response_headers"]),
                "request_body_bytes": len(exchange["body"].data), "response_body_bytes": len(response.data),
            })
            channel = channel_of(exchange["method"], exchange["path"])
            if channel is None:
                continue
            body = exchange["body"]
            if channel in ("pipeline", "snapshot"):
                if not exchange["complete"] or not body.data:
                    continue
                line = {"channel": channel, "conn": stream, "raw": body.epoch(len(body.data) - 1), "offset": 0}
                if channel == "pipeline":
                    line["hex"] = bytes(body.data).hex()
                else:
                    length = be64(body.data, 0)
                    line["hex"] = bytes(body.data[8:8 + length]).hex()
                    line["snapshot_db_bytes"] = len(body.data) - 8 - length
                messages.append(line)
                continue
            if exchange.get("code") != 200:
                continue
            headers = first_values(exchange["headers"])
            local, remote = int(headers.get("X-Server-From", "0"), 16), int(headers.get("X-Raft-To", "0"), 16)
            file = f"conn-{stream:03d}-{channel}.bin"
            with open(os.path.join(folder, file), "wb") as out:
                out.write(response.data)
            for offset, length, message, wire in stream_frames(bytes(response.data), channel, local, remote):
                line = {"channel": channel, "conn": stream, "file": file, "offset": offset,
                        "raw": response.epoch(offset + length - 1), "hex": message.hex()}
                if wire is not None:
                    line["wire_hex"] = wire.hex()
                if message == LINK_HEARTBEAT:
                    line["link_heartbeat"] = True
                messages.append(line)
    order = sorted(range(len(messages)), key=lambda i: (messages[i]["raw"], messages[i]["conn"], messages[i]["offset"], i))
    messages = [messages[i] for i in order]
    start = messages[0]["raw"] if messages else 0
    for line, describe in zip(messages, describe_all(describe_tool, [m["hex"] for m in messages])):
        line["time"] = round(line.pop("raw") - start, 6)
        line["describe"] = describe
        if "file" not in line:
            del line["offset"]
    write_jsonl(os.path.join(folder, "http.jsonl"), http)
    write_jsonl(os.path.join(folder, "messages.jsonl"), messages)
    return len(http), len(messages)


def expected_wal(folder, walread):
    for member in sorted(os.listdir(folder)):
        path = os.path.join(folder, member)
        if os.path.isdir(os.path.join(path, "wal")):
            result = subprocess.run([walread, path], capture_output=True, text=True)
            if result.returncode not in (0, 1) or not result.stdout:
                sys.exit(f"capture-extract: {walread} {path} failed: {result.stderr}")
            with open(os.path.join(path, "expected-wal.json"), "w") as out:
                out.write(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--describe", required=True, help="tools/raft-describe built by its build.sh")
    parser.add_argument("--walread", help="../shared/etcd-tools walread, for mN/expected-wal.json")
    args = parser.parse_args()
    requests, messages = extract(args.folder, args.describe)
    if args.walread:
        expected_wal(args.folder, args.walread)
    print(f"{args.folder}: {requests} requests, {messages} messages")


if __name__ == "__main__":
    main()
