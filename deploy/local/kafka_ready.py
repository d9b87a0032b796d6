#!/usr/bin/env python3
"""Readiness probe for the local Kafka broker (stdlib only).

Sends a Metadata v4 request (supported by Kafka 3.x and 4.x) and exits 0 when the broker
answers with at least one live broker; prints the broker list and cluster id.
Usage: kafka_ready.py HOST PORT [TIMEOUT_SECONDS]
"""

import socket
import struct
import sys


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _string(data: bytes, pos: int) -> tuple[str | None, int]:
    (n,) = struct.unpack_from(">h", data, pos)
    pos += 2
    if n < 0:
        return None, pos
    return data[pos : pos + n].decode(), pos + n


def probe(host: str, port: int, timeout: float) -> tuple[list[tuple[int, str, int]], str | None]:
    client_id = b"datapark-ready"
    # Request header v1 (api_key=3 Metadata, api_version=4, correlation_id, client_id)
    # Body v4: topics = null (-1 => all topics), allow_auto_topic_creation = false
    body = (
        struct.pack(">hhih", 3, 4, 42, len(client_id)) + client_id + struct.pack(">i?", -1, False)
    )
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        data = _recv_exact(sock, size)
    corr, _throttle, nbrokers = struct.unpack_from(">iii", data, 0)
    if corr != 42:
        raise ValueError("unexpected correlation id")
    pos = 12
    brokers = []
    for _ in range(nbrokers):
        (node_id,) = struct.unpack_from(">i", data, pos)
        host_s, pos = _string(data, pos + 4)
        (bport,) = struct.unpack_from(">i", data, pos)
        _rack, pos = _string(data, pos + 4)
        brokers.append((node_id, host_s or "", bport))
    cluster_id, pos = _string(data, pos)
    return brokers, cluster_id


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    try:
        brokers, cluster_id = probe(host, port, timeout)
    except Exception as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1
    if not brokers:
        print("not ready: no live brokers in metadata", file=sys.stderr)
        return 1
    print(f"cluster_id={cluster_id} brokers=" + ",".join(f"{b[0]}@{b[1]}:{b[2]}" for b in brokers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
