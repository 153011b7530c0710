"""Data through the WebSocket tunnel that HTTP::disable (irules/allow-ws.tcl) makes: a 1 MiB message,
1,000 small ones, both directions at once, text and binary. Addresses: 127.0.3.x."""

import asyncio
import hashlib
import os

import websockets

import harness

NET = "127.0.3"
VIP = (f"{NET}.10", 8080)
URL = f"ws://{NET}.10:8080/"
TIMEOUT = harness.TIMEOUT


async def exchange_many(url, messages):
    """Sends every message while a second task receives the echoes; returns the echoes."""
    async with websockets.connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT,
                                  max_size=None, compression=None) as ws:
        async def sender():
            for message in messages:
                await asyncio.wait_for(ws.send(message), TIMEOUT)

        async def receiver():
            return [await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in messages]

        _, echoes = await asyncio.gather(sender(), receiver())
        return ws.response_headers, echoes


class WebSocketTunnel(harness.IrulesdTestCase):

    def setUp(self):
        super().setUp()
        self.start_gateway("gw-1", f"{NET}.11")
        config = self.write_config(harness.make_config(
            NET, members=[("gw-1", f"{NET}.11", 8001)], rules=["/Common/allow-ws"]))
        self.start_irulesd(config, rules_dir=harness.RULES_DIR, wait_for=[VIP])

    def test_one_mebibyte_binary_message_round_trips(self):
        message = os.urandom(1 << 20)
        headers, echoes = harness.ws_echo(URL, [message], timeout=30)
        self.assertEqual(headers.get("X-Gateway"), "gw-1")
        self.assertEqual(len(echoes[0]), len(message))
        self.assertEqual(hashlib.sha256(echoes[0]).hexdigest(), hashlib.sha256(message).hexdigest())

    def test_one_mebibyte_text_message_round_trips(self):
        message = ("0123456789abcdef" * 65536)[: 1 << 20]
        _, echoes = harness.ws_echo(URL, [message], timeout=30)
        self.assertTrue(echoes[0] == message, "the 1 MiB text echo differs from what was sent")

    def test_thousand_small_messages_round_trip_in_order(self):
        messages = [f"message {i:04d}" for i in range(1000)]
        _, echoes = asyncio.run(asyncio.wait_for(exchange_many(URL, messages), 120))
        self.assertEqual(len(echoes), 1000)
        self.assertEqual(echoes, messages)

    def test_thousand_small_messages_one_at_a_time(self):
        messages = [os.urandom(1 + i % 125) for i in range(1000)]
        _, echoes = harness.ws_echo(URL, messages, timeout=TIMEOUT)
        self.assertEqual(echoes, messages)

    def test_several_tunnels_at_once(self):
        async def many():
            batches = [[f"tunnel {t} message {i}" for i in range(50)] for t in range(10)]
            results = await asyncio.gather(*(exchange_many(URL, batch) for batch in batches))
            return batches, [echoes for _, echoes in results]

        batches, echoes = asyncio.run(asyncio.wait_for(many(), 120))
        self.assertEqual(echoes, batches)


if __name__ == "__main__":
    harness.main()
