"""Fakes for faults a real server will not produce on demand; each is named as a fake.

The happy path runs against a real llama.cpp server (tests/test_llm_server.py)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = (None, "http500", "malformed", "drop")


class FakeOpenAIServer:
    """A real HTTP server on 127.0.0.1 speaking the OpenAI chat API, replaying a fixed answer (a fake LLM).

    `reply` is a string, or a function of the last message's text returning one. `delay` seconds pass before the
    reply (a timeout), `word_delay` seconds between streamed words (a model generating); `fault` breaks it: "http500" (an error status), "malformed" (a stream chunk that is not JSON),
    "drop" (the connection closes mid-answer, after a few words and before the promised length)."""

    def __init__(self, reply, delay: float = 0.0, fault: str | None = None, word_delay: float = 0.0):
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, but got {fault!r}")
        self.reply, self.delay, self.fault, self.word_delay, self.requests = reply, delay, fault, word_delay, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                time.sleep(outer.delay)
                reply = outer.reply(body["messages"][-1]["content"]) if callable(outer.reply) else outer.reply
                if outer.fault == "http500":
                    data = json.dumps({"error": {"message": "the fake model crashed", "type": "server_error"}}).encode()
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    if outer.fault == "drop":
                        self.send_header("Content-Length", "100000")  # promised, never delivered
                    self.end_headers()
                    for i, word in enumerate(reply.split(" ")):
                        if i:
                            time.sleep(outer.word_delay)
                        if outer.fault == "drop" and i == 3:
                            self.wfile.flush()
                            self.connection.shutdown(2)  # the server goes away mid-answer
                            return
                        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                                 "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
                        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                        if outer.fault == "malformed" and i == 1:
                            self.wfile.write(b'data: {"choices": [{"delta": {"content": \n\n')
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                payload = {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": reply}}]}
                data = json.dumps(payload).encode()
                if outer.fault == "malformed":
                    data = data[: len(data) // 2]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) * (2 if outer.fault == "drop" else 1)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
