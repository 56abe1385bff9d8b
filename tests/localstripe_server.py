"""Run the fake Stripe server on 127.0.0.1 and a free port the OS picks, printing that port.

localstripe's own command listens on every interface on a fixed port and saves its state to a
file shared by everyone on the machine; the tests want neither.
"""

import socket
import sys

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    sys.exit(main())
