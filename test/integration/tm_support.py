"""Support for the traffic-management integration tests (test_lb_methods.py, test_monitors.py,
test_tm_persistence.py, test_snat_limits.py).

bigip.conf pieces: nodes, pools with their load-balancing mode and member properties, monitors,
profiles and virtual servers, written the way tmsh writes them, so each test states only what it is
about (harness.make_config stays the one-pool round-robin shape the other scripts use). Every such
function returns the text of one object, ending in a newline; join them for a config.

Sockets: a client that leaves with a reset, and the count of irulesd's established server
connections to a member (read from /proc/net/tcp: what the member's connection count should be,
whatever the backend process has got round to recording).

Backends: HealthBackend, an http_backend.py whose /health answer a test rewrites (what an http
monitor sees) and that may answer every request late (--delay: a slow member).
"""

import os
import socket
import struct

import harness


def self_ip(net):
    """The internal self IP NET.20/24 (the SNAT automap source)."""
    return f"net self /Common/internal-self {{\n    address {net}.20/24\n    vlan /Common/internal\n}}\n"


def props(properties, indent):
    """[(key, value)] or {key: value} as tmsh property lines."""
    items = properties.items() if isinstance(properties, dict) else properties
    pad = " " * indent
    return "".join(f"{pad}{key} {value}\n" for key, value in items)


def node(name, address, **properties):
    """`ltm node /Common/NAME { address A ... }`; keyword properties with _ for - (connection_limit=2)."""
    return (f"ltm node /Common/{name} {{\n    address {address}\n"
            + props({k.replace("_", "-"): v for k, v in properties.items()}, 4) + "}\n")


def member(node_name, address, port, **properties):
    """One member: (node name, address, port, {property: value}) for pool()."""
    return (node_name, address, port, {k.replace("_", "-"): v for k, v in properties.items()})


def pool(name, members, mode="round-robin", **properties):
    """`ltm pool /Common/NAME { load-balancing-mode MODE members { ... } ... }`. members: from member()
    (or plain (node, address, port) tuples)."""
    out = [f"ltm pool /Common/{name} {{", f"    load-balancing-mode {mode}", "    members {"]
    for entry in members:
        node_name, address, port = entry[:3]
        extra = entry[3] if len(entry) > 3 else {}
        out.append(f"        /Common/{node_name}:{port} {{")
        out.append(f"            address {address}")
        if extra:
            out.append(props(extra, 12).rstrip("\n"))
        out.append("        }")
    out.append("    }")
    text = "\n".join(out) + "\n"
    text += props({k.replace("_", "-"): v for k, v in properties.items()}, 4)
    return text + "}\n"


def nodes_of(members):
    """An `ltm node` for every distinct node of the members (address only)."""
    seen, out = set(), ""
    for entry in members:
        if entry[0] not in seen:
            seen.add(entry[0])
            out += node(entry[0], entry[1])
    return out


def monitor(kind, name, **properties):
    """`ltm monitor KIND /Common/NAME { defaults-from /Common/KIND ... }` (KIND tcp or http)."""
    parent = {"tcp": "tcp", "http": "http", "gateway-icmp": "gateway_icmp"}[kind]
    return (f"ltm monitor {kind} /Common/{name} {{\n    defaults-from /Common/{parent}\n"
            + props({k.replace("_", "-"): v for k, v in properties.items()}, 4) + "}\n")


def profile(kind, name, **properties):
    """`ltm profile KIND /Common/NAME { defaults-from /Common/KIND ... }` (http, tcp)."""
    return (f"ltm profile {kind} /Common/{name} {{\n    defaults-from /Common/{kind}\n"
            + props({k.replace("_", "-"): v for k, v in properties.items()}, 4) + "}\n")


def virtual(name, address, port, pool_name=None, *, profiles=("/Common/http", "/Common/tcp"),
            rules=(), persist=None, fallback=None, snat="none", snat_pool=None,
            connection_limit=None, server_tcp=None):
    """`ltm virtual /Common/NAME { destination ADDRESS:PORT ... }`. server_tcp: a tcp profile
    attached with `context serverside` (then /Common/tcp is attached with `context clientside`)."""
    out = [f"ltm virtual /Common/{name} {{", f"    destination /Common/{address}:{port}",
           "    ip-protocol tcp", "    mask 255.255.255.255"]
    if pool_name:
        out.append(f"    pool /Common/{pool_name}")
    out.append("    profiles {")
    for p in profiles:
        # Beside a server-side tcp profile the client's says its side too, as tmsh writes it.
        side = " context clientside " if server_tcp and p == "/Common/tcp" else " "
        out.append(f"        {p} {{{side}}}")
    if server_tcp:
        out.append(f"        {server_tcp} {{ context serverside }}")
    out.append("    }")
    if rules:
        out += ["    rules {"] + [f"        {r}" for r in rules] + ["    }"]
    if persist:
        out += ["    persist {", f"        {persist} {{", "            default yes", "        }", "    }"]
    if fallback:
        out.append(f"    fallback-persistence {fallback}")
    if connection_limit is not None:
        out.append(f"    connection-limit {connection_limit}")
    out += ["    source 0.0.0.0/0", "    source-address-translation {"]
    if snat_pool:
        out.append(f"        pool {snat_pool}")
    out += [f"        type {snat}", "    }", "}"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Sockets
# ---------------------------------------------------------------------------------------------

def abort(sock):
    """Closes a socket with a reset (SO_LINGER 0): the client is gone, not half-closed."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _hex_endpoint(address, port):
    packed = socket.inet_aton(address)
    return f"{struct.unpack('<I', packed)[0]:08X}:{port:04X}"


def established_to(address, port):
    """How many established TCP sockets on this host have ADDRESS:PORT as their peer: on loopback,
    the connections some process (irulesd) holds open to that listener."""
    wanted = _hex_endpoint(address, port)
    count = 0
    with open("/proc/net/tcp", encoding="ascii") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[2] == wanted and fields[3] == "01":
                count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------

class HealthBackend(harness.Backend):
    """http_backend.py with --health-file: /health answers what set_health() wrote last ("200 server
    is up" to begin with); with delay every other answer waits that many seconds."""

    def __init__(self, name, host, port, tmp, delay=0.0):
        self.record_path = os.path.join(tmp, f"backend-{name}.jsonl")
        self.health_path = os.path.join(tmp, f"health-{name}")
        self.host, self.port = host, port
        self.set_health("200 server is up")
        argv = [harness.PYTHON, harness.BACKEND_PY, "--name", name, "--host", host, "--port", str(port),
                "--record", self.record_path, "--health-file", self.health_path]
        if delay:
            argv += ["--delay", str(delay)]
        harness.Process.__init__(self, name, argv, os.path.join(tmp, f"backend-{name}.out"))

    def set_health(self, answer):
        temporary = self.health_path + ".new"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(answer)
        os.replace(temporary, self.health_path)   # a probe never reads half a file


def start_health_backend(case, name, address, port=8001, delay=0.0):
    """A HealthBackend started under test case `case` (stopped with it); returns once it listens."""
    backend = case.start_process(HealthBackend(name, address, port, case.tmp, delay))
    case.wait_output(backend, "listening")
    return backend


def share(counter, name):
    """The fraction of a Counter's total that `name` has (0 when it is empty)."""
    total = sum(counter.values())
    return counter[name] / total if total else 0.0
