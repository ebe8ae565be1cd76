"""Parts that hang for real, for the fault tests: a TCP proxy that stops forwarding."""

import contextlib
import select
import socket
import threading


class HangingProxy:
    """Forwards TCP connections to ``upstream`` until ``hang()``: from then on it forwards
    nothing either way and connects new clients to nothing, while holding every connection open,
    as a database whose host, or a pooler in front of it, stops answering. ``address`` is where
    clients connect. A context manager: everything is closed at its end."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()
        self.hanging = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = [self.listener]
        self.lock = threading.Lock()

    def __enter__(self):
        threading.Thread(target=self.accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.closed.set()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def hang(self):
        self.hanging.set()

    def keep(self, sock):
        with self.lock:
            self.sockets.append(sock)

    def accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.keep(client)
            if self.hanging.is_set():
                continue  # accepted, and never answered
            server = socket.create_connection(self.upstream)
            self.keep(server)
            threading.Thread(target=self.forward, args=(client, server), daemon=True).start()

    def forward(self, client, server):
        peers = {client: server, server: client}
        while not self.closed.is_set():
            if self.hanging.is_set():
                self.closed.wait(0.05)
                continue
            try:
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    if self.hanging.is_set():
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
            except OSError:
                return
