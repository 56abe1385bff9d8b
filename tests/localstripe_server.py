"""Run the fake Stripe server on 127.0.0.1 and a free port the OS picks, printing that port.

localstripe's own command listens on every interface on a fixed port and saves its state to a
file shared by everyone on the machine; the tests want neither. And where Stripe attaches the
card of a SetupIntent that succeeds to the SetupIntent's customer (so it is listed among the
customer's payment methods), localstripe leaves it unattached; here it is attached, as Stripe
does.
"""

import socket
import sys

from aiohttp import web
from localstripe import resources


def _attaching_on_success(confirm):
    def confirmed(**data):
        intent = confirm(**data)
        if intent.status == "succeeded" and intent.customer and intent.payment_method:
            resources.PaymentMethod._api_retrieve(intent.payment_method).customer = intent.customer
        return intent

    return confirmed


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None
    resources.extra_apis[:] = [
        (method, url, _attaching_on_success(func))
        if func == resources.SetupIntent._api_confirm
        else (method, url, func)
        for method, url, func in resources.extra_apis
    ]
    from localstripe import server  # builds its routes from extra_apis

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    sys.exit(main())
