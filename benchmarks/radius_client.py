"""One router of the reconnect storm (bench_radius_storm.py): PAP
Access-Requests to FreeRADIUS at a fixed pace, one at a time, no
retransmission; prints the code and latency of each answer as JSON.

radclient sends the same packets but reports no per-request latency, and
radperf is not packaged by Debian, hence this small client (stdlib only, so
that 20 of them start fast).

Usage: radius_client.py PORT SECRET START_AT INTERVAL LOGIN... (password "pw")
"""

import hashlib
import json
import os
import socket
import struct
import sys
import time

ACCESS_REQUEST = 1
CODES = {2: "accept", 3: "reject"}


def attribute(kind, value):
    return struct.pack("!BB", kind, len(value) + 2) + value


def hide_password(password, secret, authenticator):
    """User-Password, RFC 2865 section 5.2."""
    padded = password.ljust(max(16, (len(password) + 15) // 16 * 16), b"\0")
    hidden, last = b"", authenticator
    for start in range(0, len(padded), 16):
        key = hashlib.md5(secret + last).digest()
        last = bytes(a ^ b for a, b in zip(padded[start : start + 16], key))
        hidden += last
    return hidden


def access_request(identifier, login, password, secret):
    authenticator = os.urandom(16)
    body = (
        attribute(1, login.encode())
        + attribute(2, hide_password(password.encode(), secret, authenticator))
        + attribute(4, socket.inet_aton("127.0.0.1"))
        + attribute(61, struct.pack("!I", 15))  # NAS-Port-Type = Ethernet (PPPoE)
    )
    return struct.pack("!BBH", ACCESS_REQUEST, identifier, 20 + len(body)) + authenticator + body


def main():
    port, secret, start_at, interval = sys.argv[1:5]
    logins = sys.argv[5:]
    port, secret = int(port), secret.encode()
    start_at, interval = float(start_at), float(interval)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    results = []
    for number, login in enumerate(logins):
        delay = start_at + number * interval - time.time()
        if delay > 0:
            time.sleep(delay)
        identifier = number % 256
        packet = access_request(identifier, login, "pw", secret)
        sent = time.perf_counter()
        sock.send(packet)
        deadline = sent + 5.0
        code = None
        while code is None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                reply = sock.recv(4096)
            except TimeoutError:
                break
            if reply[1] == identifier:
                code = CODES.get(reply[0], str(reply[0]))
        results.append([code, (time.perf_counter() - sent) * 1000])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
