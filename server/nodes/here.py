"""This instance as a camp node: its link to the central server, and the addresses phones open.

How the node listens is set by ``kultialogo node run`` in the config: ``NODE_HOST`` (the
address it listens on) and ``NODE_PORT``. Without them (the app started another way) the port
is the one this request came in on, and whether phones can reach it is tried by opening a
connection to this machine's own network address (local, no packet leaves it).
"""
import socket
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from .models import NodeLink

LOOPBACK = ("127.0.0.1", "localhost", "::1")
PROBE_SECONDS = 0.3


def current_link() -> NodeLink | None:
    """The node's link to its central server; None when this instance is not a node."""
    return db.session.scalar(select(NodeLink).order_by(NodeLink.id).limit(1))


@dataclass
class PhoneAddresses:
    urls: list = field(default_factory=list)  # http://192.168.1.20:5000/, one per network
    local_only: bool = False                  # listening on this computer only: phones cannot reach it


def port_of(host_header: str) -> int | None:
    """The port in a Host header ("10.0.0.2:5000", "[::1]:8080"); None when it names none."""
    host_header = host_header or ""
    head, sep, tail = host_header.rpartition(":")
    if not sep or "]" in tail or not tail.isdigit():
        return None
    return int(tail)


def _reachable(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=PROBE_SECONDS):
            return True
    except OSError:
        return False


def phone_addresses(host_header: str) -> PhoneAddresses:
    """Where phones on the node's Wi-Fi open it (plain http: a camp has no certificates)."""
    from ..cli import lan_addresses  # late: the command line's modules load only when asked for
    config = current_app.config
    port = config.get("NODE_PORT") or port_of(host_header) or 80
    listen = config.get("NODE_HOST")
    if listen in LOOPBACK:
        return PhoneAddresses(local_only=True)
    # Listening on one address: only that one; on all (0.0.0.0, or not known): every network's.
    addresses = [listen] if listen not in (None, "", "0.0.0.0", "::") else lan_addresses()
    if listen is None and addresses and not any(_reachable(a, int(port)) for a in addresses):
        return PhoneAddresses(local_only=True)
    suffix = "" if int(port) == 80 else f":{port}"
    return PhoneAddresses(urls=[f"http://{f'[{a}]' if ':' in a else a}{suffix}/" for a in addresses])
