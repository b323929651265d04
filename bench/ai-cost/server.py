#!/usr/bin/env python3
# server.py — the bench's stand-in for the chat and transcription APIs
# (bench/bench-ai-cost.sh).  Listens on 127.0.0.1 (port 0: any free one,
# printed on stdout), keeps every request body under CAPTURE/<run>/ (the
# first path segment names the run) and answers:
#  - POST …/chat/completions: a valid answer of the schema the request
#    carries, for the sentences in its prompt, built by the rules below
#    (saved beside the request as answer-NNN.json, the text a model would
#    send as message.content, compact JSON);
#  - POST …/audio/transcriptions: HTTP 400, so that the engine records the
#    seconds it sent and keeps PocketSphinx's words for the director.
# usage: server.py CAPTURE_DIR
import http.server
import json
import os
import re
import sys
from collections import Counter

capture = sys.argv[1]
REASONS = ["introduces the topic", "explains the main point", "gives a concrete example",
           "keeps the thread of the talk", "sums up the idea"]


def sentences_of(prompt):
    """(n, text) of each sentence line, in the full or the compact encoding."""
    out = []
    for line in prompt.splitlines():
        m = re.match(r"^\[(\d+)\] [\d.]+-[\d.]+ s: (.*)$", line) or re.match(r"^(\d+)\|[\d.]+\|[\d.]+\|(.*)$", line)
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out


def words(text, n):
    return " ".join(text.split()[:n])


def answer_for(body):
    """The rules: every sentence kept with one of five short reasons; a
    chapter every eighth sentence titled with its first five words; the
    title the first sentence's first eight words; the description the
    first three sentences; the eight most frequent words of five letters
    or more as tags; the thumbnail the first sentence, its first four
    words as text.  Only the members the request's schema names."""
    prompt = body["messages"][-1]["content"]
    sentences = sentences_of(prompt)
    schema = body["response_format"]["json_schema"]["schema"]
    members = schema["properties"].keys()
    if not sentences:
        sentences = [(1, "")]
    first = sentences[0][1]
    counts = Counter(w for _, t in sentences for w in re.findall(r"[a-z']{5,}", t.lower()))
    answer = {}
    if "sentences" in members:
        answer["sentences"] = [{"n": n, "keep": True, "reason": REASONS[i % len(REASONS)]}
                               for i, (n, _) in enumerate(sentences)]
    if "chapters" in members:
        answer["chapters"] = [{"n": n, "title": words(t, 5).title()}
                              for i, (n, t) in enumerate(sentences) if i % 8 == 0]
    if "title" in members:
        answer["title"] = words(first, 8).title()
    if "description" in members:
        answer["description"] = " ".join(t for _, t in sentences[:3])
    if "tags" in members:
        answer["tags"] = [w for w, _ in counts.most_common(8)]
    if "thumbnail" in members:
        answer["thumbnail"] = {"n": sentences[0][0], "text": words(first, 4).title()}
    return json.dumps(answer, separators=(",", ":"))


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        run = self.path.strip("/").split("/")[0]
        folder = os.path.join(capture, run)
        os.makedirs(folder, exist_ok=True)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.endswith("/chat/completions"):
            n = len([f for f in os.listdir(folder) if f.startswith("request-")])
            with open(os.path.join(folder, "request-%03d.json" % n), "wb") as f:
                f.write(body)
            content = answer_for(json.loads(body))
            with open(os.path.join(folder, "answer-%03d.json" % n), "w") as f:
                f.write(content)
            self.reply(200, {"object": "chat.completion",
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": content}}],
                             "usage": {"prompt_tokens": 0, "completion_tokens": 0}})
        elif self.path.endswith("/audio/transcriptions"):
            self.reply(400, {"error": {"message": "the bench does not transcribe"}})
        else:
            self.reply(404, {"error": {"message": "unknown path"}})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
