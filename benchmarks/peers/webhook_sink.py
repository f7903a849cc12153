"""A webhook receiver for benchmarks/run's mixed drain: answers every POST with 204 at once.

    python3 benchmarks/peers/webhook_sink.py PORT_FILE COUNT_FILE

Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE once it accepts connections,
and on SIGTERM writes the number of events received to COUNT_FILE and exits.
"""

import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = 0
lock = threading.Lock()


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (the name http.server calls)
        global received
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


def main():
    port_file, count_file = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    server.daemon_threads = True

    def stop(*_):
        with open(count_file, "w") as out:
            out.write(f"{received}\n")
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    with open(port_file + ".tmp", "w") as out:
        out.write(f"{server.server_address[1]}\n")
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
