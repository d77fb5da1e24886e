"""The background process that serves every host of one lab.

One listening socket per host on 127.0.0.1; one selector loop in the main thread accepts
for all of them (so 200 hosts cost 200 sockets, not 200 polling threads) and each
connection gets its own handler thread. Started by ``python -m ocs_lab serve`` (which
``api.start`` runs); writes ``ready.json`` once every host listens, stops on SIGTERM.
"""

from __future__ import annotations

import os
import selectors
import signal
import sys
import threading
from typing import Any

from .state import StateDir, write_json
from .wsman import Host, HostServer, Scripts, set_ntlm_user_file, ssl_context


def serve(state_dir: str) -> int:
    state = StateDir(state_dir)
    config = state.config()
    set_ntlm_user_file(state.ntlm_user_file)
    scripts = Scripts.from_config(config)
    contexts: dict[str, Any] = {}
    servers: list[HostServer] = []
    for host_config in config["hosts"]:
        host = Host(host_config, state, scripts)
        context = None
        if host.transport == "https":
            if host.tls not in contexts:
                contexts[host.tls] = ssl_context(state.cert_file, state.key_file, host.tls)
            context = contexts[host.tls]
        servers.append(HostServer(host, context, port=0))

    stopping = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    selector = selectors.DefaultSelector()
    for server in servers:
        selector.register(server.socket, selectors.EVENT_READ, server)
    ports = {s.host.name: s.server_address[1] for s in servers}
    write_json(state.ready_file, {"pid": os.getpid(), "ports": ports})

    while not stopping.is_set():
        for key, _ in selector.select(timeout=0.5):
            server = key.data
            try:
                request, address = server.get_request()
            except OSError:
                continue
            request.setblocking(True)
            try:
                server.process_request(request, address)
            except Exception:  # keep serving the other hosts
                server.handle_error(request, address)
                server.shutdown_request(request)
    for server in servers:
        server.server_close()
    sys.stderr.flush()
    return 0
