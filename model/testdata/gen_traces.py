#!/usr/bin/env python3
"""Writes model/testdata/{ok,bad}/*.txtar, the labelled traces of the model.

The traces are generated: edit this script and run it from the repository root
(python3 model/testdata/gen_traces.py model/testdata), not the .txtar files."""
import json, os, sys, base64

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
V = '2026-07-28'
SERVER_INFO = {"name": "example-server", "version": "1.0.0"}
RMETA = {"io.modelcontextprotocol/serverInfo": SERVER_INFO}

def j(v):
    return json.dumps(v, separators=(',', ':'), ensure_ascii=False)

def meta(caps=None, **extra):
    m = {"io.modelcontextprotocol/protocolVersion": V,
         "io.modelcontextprotocol/clientInfo": {"name": "mcpverify", "version": "0.1.0"},
         "io.modelcontextprotocol/clientCapabilities": caps if caps is not None else {}}
    m.update(extra)
    return m

NAME_PARAM = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

class Ex:
    def __init__(self, method, params=None, id=1, headers=None, drop=(), body=None, http_method='POST',
                 meta_=True, notification=False):
        self.http_method = http_method
        if params is None:
            params = {}
        params = dict(params)
        if meta_ is True:
            params.setdefault("_meta", meta())
        elif isinstance(meta_, dict):
            params["_meta"] = meta_
        self.id = id
        msg = {"jsonrpc": "2.0", "id": id, "method": method, "params": params}
        if notification:
            del msg["id"]
        self.body = body if body is not None else (j(msg) if http_method == 'POST' else '')
        h = {}
        if http_method == 'POST':
            h["Content-Type"] = "application/json"
            h["Accept"] = "application/json, text/event-stream"
            h["MCP-Protocol-Version"] = V
            h["Mcp-Method"] = method
            if method in NAME_PARAM and NAME_PARAM[method] in params:
                h["Mcp-Name"] = params[NAME_PARAM[method]]
        h["Host"] = "127.0.0.1:8080"
        for k in drop:
            h.pop(k, None)
        if headers:
            for k, v in headers.items():
                for kk in list(h):
                    if kk.lower() == k.lower():
                        del h[kk]
                if v is not None:
                    h[k] = v
        self.headers = h
        self.status = 200
        self.resp_headers = {}
        self.resp_body = ''
        self.meta_lines = []

    def json(self, status, msg, headers=None):
        self.status = status
        self.resp_headers = {"Content-Type": "application/json"}
        self.resp_headers.update(headers or {})
        self.resp_body = msg if isinstance(msg, str) else j(msg)
        return self

    def sse(self, msgs, status=200, headers=None, buffering=True):
        self.status = status
        self.resp_headers = {"Content-Type": "text/event-stream"}
        if buffering:
            self.resp_headers["X-Accel-Buffering"] = "no"
        self.resp_headers.update(headers or {})
        self.resp_body = ''.join('data: %s\n\n' % (m if isinstance(m, str) else j(m)) for m in msgs)
        return self

    def empty(self, status, headers=None, body=''):
        self.status = status
        self.resp_headers = dict(headers or {})
        self.resp_body = body
        return self

    def result(self, result, id='same', status=200):
        if id == 'same':
            id = self.id
        return self.json(status, {"jsonrpc": "2.0", "id": id, "result": result})

    def error(self, status, code, message, data=None, id='same'):
        if id == 'same':
            id = self.id
        e = {"code": code, "message": message}
        if data is not None:
            e["data"] = data
        msg = {"jsonrpc": "2.0", "error": e}
        if id is not None:
            msg["id"] = id
        return self.json(status, msg)

    def on(self, conn):
        self.meta_lines.append('conn: %d' % conn)
        return self

    def at(self, d):
        """Sets when the request was sent (a Go duration, e.g. '15m')."""
        self.meta_lines.append('at: %s' % d)
        return self

    def render(self, n):
        out = ['-- %d.request --' % n]
        path = '/mcp'
        out.append('%s %s HTTP/1.1' % (self.http_method, path))
        for k, v in self.headers.items():
            out.append('%s: %s' % (k, v))
        if self.body:
            out.append('')
            out.append(self.body)
        out.append('-- %d.response --' % n)
        out.append('HTTP/1.1 %d %s' % (self.status, STATUS.get(self.status, 'Status')))
        for k, v in self.resp_headers.items():
            out.append('%s: %s' % (k, v))
        if self.resp_body:
            out.append('')
            out.append(self.resp_body.rstrip('\n') + ('\n' if self.resp_body.endswith('\n\n') else ''))
        if self.meta_lines:
            out.append('-- %d.meta --' % n)
            out.extend(self.meta_lines)
        return '\n'.join(out) + '\n'

STATUS = {200: 'OK', 202: 'Accepted', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Request Entity Too Large'}

class StdioEx:
    def __init__(self, line, out, meta_lines=()):
        self.line = line
        self.out = out
        self.meta_lines = list(meta_lines)
    def render(self, n):
        s = '-- %d.stdin --\n%s\n-- %d.stdout --\n' % (n, self.line, n)
        s += ''.join(o + '\n' for o in self.out)
        if self.meta_lines:
            s += '-- %d.meta --\n' % n + ''.join(l + '\n' for l in self.meta_lines)
        return s

def res(result_type='complete', **kw):
    r = {"resultType": result_type, "_meta": RMETA}
    r.update(kw)
    return r

CAPS = {"tools": {"listChanged": True}, "resources": {"subscribe": True, "listChanged": True},
        "prompts": {"listChanged": True}, "completions": {}, "logging": {}}

def discover(caps=CAPS, versions=(V,), server_info=True):
    r = {"resultType": "complete", "supportedVersions": list(versions), "capabilities": caps,
         "ttlMs": 60000, "cacheScope": "public"}
    if server_info:
        r["_meta"] = RMETA
    return Ex("server/discover", id="d").result(r, id="d")

TOOLS = [
    {"name": "echo", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    {"name": "weather", "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
     "outputSchema": {"type": "object", "properties": {"temp": {"type": "number"}}, "required": ["temp"]}},
    {"name": "sql", "inputSchema": {"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "shard": {"type": "integer", "x-mcp-header": "Shard"},
        "query": {"type": "string"}}, "required": ["query"]}},
    {"name": "confirm", "inputSchema": {"type": "object"}},
]

def tools_list(tools=TOOLS, id="t", **kw):
    r = res(tools=tools, ttlMs=kw.pop('ttlMs', 300000), cacheScope=kw.pop('cacheScope', 'public'))
    r.update(kw)
    return Ex("tools/list", id=id).result(r, id=id)

def text(t):
    return [{"type": "text", "text": t}]

def write(kind, name, exs, **fields):
    os.makedirs(os.path.join(ROOT, kind), exist_ok=True)
    lines = []
    for k, v in fields.items():
        lines.append('%s: %s' % (k.replace('_', '-'), v))
    body = '\n'.join(lines) + '\n' if lines else ''
    for i, ex in enumerate(exs, 1):
        body += ex.render(i)
    with open(os.path.join(ROOT, kind, name + '.txtar'), 'w', encoding='utf-8', errors='surrogateescape') as f:
        f.write(body)

def ok(name, exs, **f): write('ok', name, exs, **f)

FIXED = os.path.join(ROOT, '..', '..', 'corpus', 'fixedbugs')

def fixed(name, exs, want='none', note='', **f):
    """A fixed bug of the model: a trace it once misjudged, kept in
    corpus/fixedbugs with the verdict it must give now (want: none, or IDs)."""
    os.makedirs(FIXED, exist_ok=True)
    lines = ['want: %s' % want]
    if note:
        lines.append('note: %s' % note)
    for k, v in f.items():
        lines.append('%s: %s' % (k.replace('_', '-'), v))
    body = '\n'.join(lines) + '\n'
    for i, ex in enumerate(exs, 1):
        body += ex.render(i)
    with open(os.path.join(FIXED, name + '.txtar'), 'w', encoding='utf-8', errors='surrogateescape') as fh:
        fh.write(body)
def bad(name, want, exs, note='', **f):
    if note:
        f = dict(note=note, **f)
    write('bad', name, exs, want=want, **f)

D = discover()
TL = tools_list()

def call(name, args=None, id=2, caps=None, headers=None, drop=(), **extra):
    p = {"name": name, "arguments": args or {}}
    p.update(extra)
    if caps is not None:
        p["_meta"] = meta(caps)
    return Ex("tools/call", p, id=id, headers=headers, drop=drop)

def err_msg(id, code, message, data=None):
    e = {"code": code, "message": message}
    if data is not None:
        e["data"] = data
    m = {"jsonrpc": "2.0", "error": e}
    if id is not None:
        m["id"] = id
    return m

# ---------------------------------------------------------------- ok traces

ok('basic', [
    D, TL,
    call("echo", {"text": "hi"}).result(res(content=text("hi"))),
    call("weather", {"city": "Oslo"}, id=3).result(res(content=text('{"temp":3.5}'), structuredContent={"temp": 3.5}), id=3),
    call("weather", {"city": "Nowhere"}, id=4).result(res(content=text("unknown city"), isError=True), id=4),
    Ex("resources/list", id=5).result(res(resources=[{"uri": "file:///a.txt", "name": "a.txt"}], ttlMs=1000, cacheScope="public"), id=5),
    Ex("resources/templates/list", id=6).result(res(resourceTemplates=[{"uriTemplate": "file:///{path}", "name": "files"}], ttlMs=1000, cacheScope="public"), id=6),
    Ex("resources/read", {"uri": "file:///a.txt"}, id=7).result(res(contents=[{"uri": "file:///a.txt", "text": "A"}], ttlMs=0, cacheScope="private"), id=7),
    Ex("prompts/list", id=8).result(res(prompts=[{"name": "greet"}], ttlMs=1000, cacheScope="public"), id=8),
    Ex("prompts/get", {"name": "greet"}, id=9).result(res(messages=[{"role": "user", "content": {"type": "text", "text": "hello"}}]), id=9),
    Ex("completion/complete", {"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "n", "value": "a"}}, id=10)
        .result(res(completion={"values": ["ab"], "hasMore": False}), id=10),
    Ex("resources/read", {"uri": "test://mcpverify-nonexistent-1"}, id=11).error(400, -32602, "Resource not found", {"uri": "test://mcpverify-nonexistent-1"}, id=11),
])

ok('rejections', [
    D, TL,
    Ex("tools/list", id=2, meta_={"io.modelcontextprotocol/clientCapabilities": {}}).error(400, -32602, "missing protocolVersion", id=2),
    Ex("tools/list", id=3, meta_={"io.modelcontextprotocol/clientCapabilities": {}}).error(400, -32020, "header present, body version missing", id=3),
    Ex("tools/list", id=4, meta_=meta(), headers={"MCP-Protocol-Version": "1900-01-01"}).error(400, -32020, "header mismatch", id=4),
    Ex("tools/list", id=5, meta_=dict(meta(), **{"io.modelcontextprotocol/protocolVersion": "1900-01-01"}), headers={"MCP-Protocol-Version": "1900-01-01"})
        .error(400, -32022, "Unsupported protocol version", {"supported": [V], "requested": "1900-01-01"}, id=5),
    Ex("tools/list", id=6, drop=("Mcp-Method",)).error(400, -32020, "missing Mcp-Method", id=6),
    Ex("tools/list", id=7, headers={"Mcp-Method": "tools/call"}).error(400, -32020, "Mcp-Method mismatch", id=7),
    call("echo", {"text": "x"}, id=8, drop=("Mcp-Name",)).error(400, -32020, "missing Mcp-Name", id=8),
    call("echo", {"text": "x"}, id=9, headers={"Mcp-Name": "=?base64?" + base64.b64encode(b"echo").decode() + "?="}).result(res(content=text("x")), id=9),
    call("echo", {"text": "x"}, id=10, headers={"mcp-method": "tools/call", "mcp-name": "echo", "mcp-protocol-version": V}).result(res(content=text("x")), id=10),
    Ex("no/such/method", id=11).error(404, -32601, "Method not found", id=11),
    Ex("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}, id=12, meta_=False)
        .error(404, -32601, "initialize is not supported; supported versions: 2026-07-28", id=12),
    Ex("notifications/cancelled", {"requestId": 99}, notification=True).empty(202),
    Ex("", http_method="GET").empty(405),
    Ex("", http_method="DELETE").empty(405),
    Ex("tools/list", id=13, headers={"Origin": "http://evil.example"}).empty(403),
    Ex("tools/list", id=14, headers={"Origin": "http://127.0.0.1:8080"}).result(res(tools=TOOLS, ttlMs=300000, cacheScope="public"), id=14),
    Ex("tools/list", body='{"jsonrpc":"2.0","id":15,"method":').error(400, -32700, "Parse error", id=None),
    Ex("tools/list", body='{"jsonrpc":"1.0","id":16,"method":"tools/list"}').error(400, -32600, "Invalid request", id=None),
    Ex("tools/list", id=17, drop=("MCP-Protocol-Version",)).error(400, -32020, "missing MCP-Protocol-Version", id=17),
    Ex("tools/list", id=18, meta_=dict(meta(), **{"io.modelcontextprotocol/logLevel": "loud"})).error(400, -32602, "unknown log level", id=18),
    call("confirm", {}, id=19, caps={}).error(400, -32021, "elicitation required", {"requiredCapabilities": {"elicitation": {}}}, id=19),
])

ok('param-headers', [
    D, TL,
    call("sql", {"region": "us-west1", "shard": 42, "query": "select 1"}, id=2, headers={"Mcp-Param-Region": "us-west1", "Mcp-Param-Shard": "42"}).result(res(content=text("1")), id=2),
    call("sql", {"region": "Zürich", "query": "select 1"}, id=3, headers={"Mcp-Param-Region": "=?base64?" + base64.b64encode("Zürich".encode()).decode() + "?="}).result(res(content=text("1")), id=3),
    call("sql", {"region": None, "query": "select 1"}, id=4).result(res(content=text("1")), id=4),
    call("sql", {"region": "eu", "query": "select 1"}, id=5).error(400, -32020, "missing Mcp-Param-Region", id=5),
    call("sql", {"region": "eu", "query": "x"}, id=6, headers={"Mcp-Param-Region": "us"}).error(400, -32020, "Mcp-Param-Region mismatch", id=6),
    call("sql", {"shard": 7, "query": "x"}, id=7, headers={"Mcp-Param-Shard": "7.0"}).result(res(content=text("1")), id=7),
])

ok('sse-progress-logging', [
    D, TL,
    call("echo", {"text": "x"}, id=2, _meta=dict(meta(), progressToken="p1", **{"io.modelcontextprotocol/logLevel": "info"})).sse([
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p1", "progress": 1, "total": 3}},
        {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "warning", "data": "careful"}},
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p1", "progress": 2.5, "total": 3}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))},
    ]),
])

ok('mrtr', [
    D, TL,
    call("confirm", {}, id=2, caps={"elicitation": {}}).result({"resultType": "input_required", "_meta": RMETA, "inputRequests": {
        "ok": {"method": "elicitation/create", "params": {"mode": "form", "message": "Sure?", "requestedSchema": {"type": "object", "properties": {"yes": {"type": "boolean"}}}}}},
        "requestState": "c2VhbGVk"}, id=2),
    call("confirm", {}, id=3, caps={"elicitation": {}}, inputResponses={"ok": {"action": "accept", "content": {"yes": True}}}, requestState="c2VhbGVk").result(res(content=text("done")), id=3),
    Ex("prompts/get", {"name": "greet"}, id=4, meta_=meta({"sampling": {}})).result({"resultType": "input_required", "_meta": RMETA, "inputRequests": {
        "s": {"method": "sampling/createMessage", "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 10}}}}, id=4),
    Ex("resources/read", {"uri": "file:///secret"}, id=5, meta_=meta({"roots": {}})).result({"resultType": "input_required", "_meta": RMETA, "inputRequests": {
        "r": {"method": "roots/list"}}}, id=5),
])

ok('listen', [
    D,
    Ex("subscriptions/listen", {"notifications": {"toolsListChanged": True, "resourceSubscriptions": ["file:///a.txt"]}}, id=7).sse([
        {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged", "params": {"_meta": {"io.modelcontextprotocol/subscriptionId": 7}, "notifications": {"toolsListChanged": True, "resourceSubscriptions": ["file:///a.txt"]}}},
        {"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {"_meta": {"io.modelcontextprotocol/subscriptionId": 7}}},
        {"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"_meta": {"io.modelcontextprotocol/subscriptionId": 7}, "uri": "file:///a.txt"}},
        {"jsonrpc": "2.0", "id": 7, "result": {"resultType": "complete", "_meta": {"io.modelcontextprotocol/subscriptionId": 7, "io.modelcontextprotocol/serverInfo": SERVER_INFO}}},
    ]),
])

ok('pagination', [
    D,
    Ex("tools/list", id=1).result(res(tools=TOOLS[:2], nextCursor="c1", ttlMs=1000, cacheScope="private")),
    Ex("tools/list", {"cursor": "c1"}, id=2).result(res(tools=TOOLS[2:], ttlMs=5, cacheScope="private"), id=2),
    Ex("tools/list", {"cursor": "bogus"}, id=3).error(400, -32602, "Invalid cursor", id=3),
])

def sl(msg):
    return j(msg)

def sreq(method, params=None, id=1, caps=None, **metaextra):
    p = dict(params or {})
    p["_meta"] = meta(caps, **metaextra)
    return j({"jsonrpc": "2.0", "id": id, "method": method, "params": p})

SD = StdioEx(sreq("server/discover", id="d"), [sl({"jsonrpc": "2.0", "id": "d", "result": {"resultType": "complete", "supportedVersions": [V], "capabilities": CAPS, "ttlMs": 0, "cacheScope": "public", "_meta": RMETA}})])

ok('stdio', [
    SD,
    StdioEx(sreq("tools/list", id=1), [sl({"jsonrpc": "2.0", "id": 1, "result": res(tools=TOOLS, ttlMs=10, cacheScope="public")})]),
    StdioEx(sreq("tools/call", {"name": "echo", "arguments": {"text": "x"}}, id=2, progressToken=5), [
        sl({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 5, "progress": 0.5}}),
        sl({"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))})]),
    StdioEx(sreq("nope", id=3), [sl(err_msg(3, -32601, "Method not found"))]),
    StdioEx(sreq("tools/call", {"name": "slow", "arguments": {}}, id=4), [sl({"jsonrpc": "2.0", "id": 4, "result": res(content=text("late but in flight"))})],
            meta_lines=["cancel-at: 100ms", "line-at: 150ms", "outcome: cancelled"]),
], transport='stdio')

# ---------------------------------------------------------------- bad traces

bad('meta-missing-accepted', 'CORE-META-REQUIRED', [D,
    Ex("tools/list", id=2, meta_={"io.modelcontextprotocol/protocolVersion": V}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)],
    note='a request without clientCapabilities is served')
bad('meta-missing-status-200', 'HTTP-META-STATUS', [D,
    Ex("tools/list", id=2, meta_={"io.modelcontextprotocol/clientCapabilities": {}}).error(200, -32602, "missing protocolVersion", id=2)])
bad('meta-missing-wrong-code', 'CORE-META-REQUIRED', [D,
    Ex("tools/list", id=2, meta_={"io.modelcontextprotocol/protocolVersion": V}).error(400, -32600, "bad", id=2)])
bad('meta-no-meta-accepted', 'CORE-META-REQUIRED', [D,
    Ex("tools/list", id=2, meta_=False).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
UV = dict(meta(), **{"io.modelcontextprotocol/protocolVersion": "1900-01-01"})
bad('version-unsupported-accepted', 'CORE-VERSION-UNSUPPORTED', [D,
    Ex("tools/list", id=2, meta_=UV, headers={"MCP-Protocol-Version": "1900-01-01"}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('version-unsupported-status', 'HTTP-VERSION-UNSUPPORTED', [D,
    Ex("tools/list", id=2, meta_=UV, headers={"MCP-Protocol-Version": "1900-01-01"}).error(200, -32022, "Unsupported", {"supported": [V], "requested": "1900-01-01"}, id=2)])
bad('version-unsupported-no-data', 'CORE-VERSION-UNSUPPORTED', [D,
    Ex("tools/list", id=2, meta_=UV, headers={"MCP-Protocol-Version": "1900-01-01"}).error(400, -32022, "Unsupported", id=2)])
bad('version-unsupported-wrong-requested', 'CORE-VERSION-UNSUPPORTED', [D,
    Ex("tools/list", id=2, meta_=UV, headers={"MCP-Protocol-Version": "1900-01-01"}).error(400, -32022, "Unsupported", {"supported": [V], "requested": V}, id=2)])
bad('version-header-mismatch-accepted', 'HTTP-VERSION-MISMATCH', [D,
    Ex("tools/list", id=2, headers={"MCP-Protocol-Version": "2025-11-25"}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('version-header-missing-accepted', 'HTTP-VERSION-HEADER-MISSING', [D,
    Ex("tools/list", id=2, drop=("MCP-Protocol-Version",)).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('method-header-missing-accepted', 'HTTP-HEADER-REQUIRED', [D,
    Ex("tools/list", id=2, drop=("Mcp-Method",)).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('method-header-mismatch-accepted', 'HTTP-HEADER-MISMATCH', [D, TL,
    call("echo", {"text": "x"}, headers={"Mcp-Method": "tools/list"}).result(res(content=text("x")))],
    note='a gateway routing on Mcp-Method sees tools/list; the server executes tools/call')
bad('method-header-base64-accepted', 'HTTP-HEADER-MISMATCH', [D,
    Ex("tools/list", id=2, headers={"Mcp-Method": "=?base64?" + base64.b64encode(b"tools/list").decode() + "?="}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)],
    note='the Base64 form is defined only for Mcp-Name and Mcp-Param-*; on Mcp-Method it is a mismatch')
bad('method-header-case-accepted', 'HTTP-HEADER-MISMATCH', [D,
    Ex("tools/list", id=2, headers={"Mcp-Method": "TOOLS/LIST"}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)],
    note='header values are case-sensitive')
bad('name-header-mismatch-wrong-code', 'HTTP-HEADER-MISMATCH', [D, TL,
    call("echo", {"text": "x"}, headers={"Mcp-Name": "weather"}).error(400, -32602, "bad name")])
bad('name-header-missing-accepted', 'HTTP-HEADER-REQUIRED', [D, TL,
    call("echo", {"text": "x"}, drop=("Mcp-Name",)).result(res(content=text("x")))])
bad('name-header-base64-refused', 'HTTP-HEADER-BASE64', [D, TL,
    call("echo", {"text": "x"}, headers={"Mcp-Name": "=?base64?ZWNobw==?="}).error(400, -32020, "Mcp-Name mismatch")])
bad('header-names-lowercase-refused', 'HTTP-HEADER-NAME-CASE', [D, TL,
    call("echo", {"text": "x"}, headers={"mcp-method": "tools/call", "mcp-name": "echo"}).error(400, -32020, "missing Mcp-Method")])
bad('name-header-bad-base64-accepted', 'HTTP-HEADER-INVALID', [D, TL,
    call("echo", {"text": "x"}, headers={"Mcp-Name": "=?base64?!!!?="}).result(res(content=text("x")))])
bad('param-header-missing-accepted', 'HTTP-PARAM-MISSING', [D, TL,
    call("sql", {"region": "eu", "query": "x"}).result(res(content=text("1")))])
bad('param-header-mismatch-accepted', 'HTTP-PARAM-MISMATCH', [D, TL,
    call("sql", {"region": "eu", "query": "x"}, headers={"Mcp-Param-Region": "us"}).result(res(content=text("1")))],
    note='a WAF sees region us; the server runs the query in eu')
bad('param-header-absent-refused', 'HTTP-PARAM-ABSENT', [D, TL,
    call("sql", {"query": "x"}).error(400, -32020, "missing Mcp-Param-Region")])
bad('param-header-numeric-refused', 'HTTP-PARAM-NUMERIC', [D, TL,
    call("sql", {"shard": 42, "query": "x"}, headers={"Mcp-Param-Shard": "42.0"}).error(400, -32020, "Mcp-Param-Shard mismatch")])
def xtool(props):
    return tools_list([{"name": "t", "inputSchema": {"type": "object", "properties": props}}])
bad('x-mcp-header-not-token', 'HTTP-X-MCP-HEADER', [D, xtool({"d": {"type": "string", "x-mcp-header": "bad name"}})])
bad('x-mcp-header-empty', 'HTTP-X-MCP-HEADER', [D, xtool({"d": {"type": "string", "x-mcp-header": ""}})])
bad('x-mcp-header-number', 'HTTP-X-MCP-HEADER-TYPE', [D, xtool({"n": {"type": "number", "x-mcp-header": "N"}})])
bad('x-mcp-header-duplicate', 'HTTP-X-MCP-HEADER-UNIQUE', [D, xtool({"a": {"type": "string", "x-mcp-header": "Dup"}, "b": {"type": "string", "x-mcp-header": "dup"}})])
bad('x-mcp-header-in-items', 'HTTP-X-MCP-HEADER-REACHABLE', [D, xtool({"c": {"type": "array", "items": {"type": "string", "x-mcp-header": "Item"}}})])
bad('unknown-method-accepted', 'CORE-METHOD-NOT-FOUND', [D,
    Ex("no/such/method", id=2).result(res(), id=2)])
bad('unknown-method-status', 'HTTP-METHOD-NOT-FOUND', [D,
    Ex("no/such/method", id=2).error(400, -32601, "Method not found", id=2)])
bad('removed-method-served', 'CORE-METHOD-NOT-FOUND', [D,
    Ex("ping", id=2).result(res(), id=2)], note='ping was removed; a server that serves only 2026-07-28 does not know it')
bad('initialize-no-versions', 'CORE-INITIALIZE-VERSIONS', [D,
    Ex("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}, id=2, meta_=False).error(404, -32601, "Method not found", id=2)])
bad('parse-error-wrong-code', 'CORE-PARSE-ERROR', [D,
    Ex("tools/list", body='{"jsonrpc":"2.0","id":2,').error(400, -32600, "Invalid request", id=None)])
bad('invalid-request-served', 'CORE-INVALID-REQUEST', [D,
    Ex("tools/list", body='{"jsonrpc":"2.0","id":null,"method":"tools/list","params":{}}').result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('notification-answered', 'HTTP-NOTIFICATION-202 CORE-NOTIFICATION-NO-RESPONSE', [D,
    Ex("notifications/cancelled", {"requestId": 1}, notification=True).result(res())])
bad('notification-202-with-body', 'HTTP-NOTIFICATION-202', [D,
    Ex("notifications/cancelled", {"requestId": 1}, notification=True).empty(202, {"Content-Type": "text/plain"}, "accepted")])
bad('origin-hostile-served', 'HTTP-ORIGIN', [D,
    Ex("tools/list", id=2, headers={"Origin": "http://evil.example"}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)],
    note='DNS rebinding: a page on evil.example reaches the local server')
bad('origin-null-served', 'HTTP-ORIGIN', [D,
    Ex("tools/list", id=2, headers={"Origin": "null"}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('origin-foreign-port-served', 'HTTP-ORIGIN', [D,
    Ex("tools/list", id=2, headers={"Origin": "http://127.0.0.1:9999"}).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('get-served', 'HTTP-GET-DELETE-405', [D,
    Ex("", http_method="GET").sse([])])
bad('session-id-minted', 'HTTP-SESSION-ID', [D,
    Ex("tools/list", id=2).json(200, {"jsonrpc": "2.0", "id": 2, "result": res(tools=[], ttlMs=0, cacheScope="public")}, headers={"Mcp-Session-Id": "abc"})])
bad('content-type-plain', 'HTTP-CONTENT-TYPE', [D,
    Ex("tools/list", id=2).json(200, {"jsonrpc": "2.0", "id": 2, "result": res(tools=[], ttlMs=0, cacheScope="public")}, headers={"Content-Type": "text/plain"})])
bad('sse-buffered', 'HTTP-SSE-NO-BUFFERING', [D,
    Ex("tools/list", id=2).sse([{"jsonrpc": "2.0", "id": 2, "result": res(tools=[], ttlMs=0, cacheScope="public")}], buffering=False)])
bad('sse-not-terminated', 'HTTP-SSE-TERMINATE', [D, TL,
    call("echo", {"text": "x"}, _meta=dict(meta(), **{"io.modelcontextprotocol/logLevel": "debug"})).sse([
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))},
        {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "after"}}])])
bad('response-id-wrong', 'CORE-RESPONSE-ID', [D,
    Ex("tools/list", id=2).result(res(tools=[], ttlMs=0, cacheScope="public"), id=3)])
bad('response-id-type', 'CORE-RESPONSE-ID', [D,
    Ex("tools/list", id=2).result(res(tools=[], ttlMs=0, cacheScope="public"), id="2")], note='the string "2" is not the integer 2')
bad('response-id-large-rounded', 'CORE-RESPONSE-ID-LARGE', [D,
    Ex("tools/list", id=9007199254740993).result(res(tools=[], ttlMs=0, cacheScope="public"), id=9007199254740992)],
    note='2^53+1 read as a double comes back as 2^53: outside interoperability (RFC 8259 section 6), a hardening finding, not CORE-RESPONSE-ID')
bad('response-id-large-wrapped', 'CORE-RESPONSE-ID-LARGE', [D,
    Ex("tools/list", id=9223372036854775807).result(res(tools=[], ttlMs=0, cacheScope="public"), id=-9223372036854775808)],
    note='the largest int64 wrapped to the smallest')
bad('error-without-id', 'CORE-RESPONSE-ID', [D,
    Ex("tools/list", id=2, meta_=False).error(400, -32602, "missing _meta", id=None)])
bad('two-responses', 'CORE-MESSAGE-JSONRPC HTTP-SSE-TERMINATE', [D,
    Ex("tools/list", id=2).sse([{"jsonrpc": "2.0", "id": 2, "result": res(tools=[], ttlMs=0, cacheScope="public")},
                                 {"jsonrpc": "2.0", "id": 2, "result": res(tools=[], ttlMs=0, cacheScope="public")}])])
bad('not-json-rpc', 'CORE-MESSAGE-JSONRPC', [D,
    Ex("tools/list", id=2).sse(['{"status":"working"}', {"jsonrpc": "2.0", "id": 2, "result": res(tools=[], ttlMs=0, cacheScope="public")}])])
bad('server-request', 'CORE-MRTR-PATTERN', [D, TL,
    call("echo", {"text": "x"}, caps={"sampling": {}}).sse([
        {"jsonrpc": "2.0", "id": 100, "method": "sampling/createMessage", "params": {"messages": [], "maxTokens": 5}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])],
    note='the 2025-11-25 pattern: a server-initiated request on the response stream')
bad('server-request-ping-sse', 'HTTP-SSE-NO-REQUESTS', [D, TL,
    call("echo", {"text": "x"}).sse([
        {"jsonrpc": "2.0", "id": 100, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])],
    note='a request (not for input) on the response stream')
bad('server-request-json', 'CORE-NO-SERVER-REQUESTS', [D,
    Ex("tools/list", id=2).json(200, {"jsonrpc": "2.0", "id": "srv-1", "method": "ping"})],
    note='a request from the server as the body of the response')
bad('notification-with-id', 'CORE-NOTIFICATION-NO-ID', [D, TL,
    call("echo", {"text": "x"}, _meta=dict(meta(), **{"io.modelcontextprotocol/logLevel": "info"})).sse([
        {"jsonrpc": "2.0", "id": 101, "method": "notifications/message", "params": {"level": "info", "data": "x"}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
bad('message-invalid-utf8', 'CORE-MESSAGE-UTF8', [D, TL,
    call("echo", {"text": "x"}).sse([
        '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"\udcff"}}',
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])],
    note='a notification with a byte that is not UTF-8 before the response')
bad('error-without-code', 'CORE-ERROR-SHAPE', [D, TL,
    call("echo", {"text": "x"}).sse([
        '{"jsonrpc":"2.0","id":2,"error":{"message":"no code"}}'])])
bad('error-code-string', 'CORE-ERROR-CODE-INTEGER', [D, TL,
    call("echo", {"text": "x"}).sse([
        '{"jsonrpc":"2.0","id":2,"error":{"code":"-32602","message":"Invalid params"}}'])])
bad('response-without-result', 'CORE-RESULT-FIELD', [D, TL,
    call("echo", {"text": "x"}).sse([
        '{"jsonrpc":"2.0","id":2}'])])
bad('meta-key-invalid', 'CORE-META-KEY-FORMAT', [D, TL,
    call("echo", {"text": "x"}).result(dict(res(content=text("x")), _meta=dict(RMETA, **{"example.com./trace id": "1"})))],
    note='an empty prefix label and a name with a space')
bad('meta-traceparent-invalid', 'CORE-META-TRACE-FORMAT', [D, TL,
    call("echo", {"text": "x"}).result(dict(res(content=text("x")), _meta=dict(RMETA, traceparent="00-0AF7651916CD43DD8448EB211C80319C-00f067aa0ba902b7-01")))],
    note='upper-case hex is not W3C Trace Context')
bad('extension-id-without-prefix', 'CORE-EXTENSION-ID', [discover(caps=dict(CAPS, extensions={"tasks": {}}))],
    note='an extension identifier needs a prefix (io.modelcontextprotocol/tasks)')
bad('structured-without-text', 'CORE-TOOL-STRUCTURED-TEXT', [D, TL,
    call("weather", {"city": "Oslo"}).result(res(content=text("3.5 degrees"), structuredContent={"temp": 3.5}))],
    note='the text block does not hold the serialized structuredContent')
bad('embedded-resource-undeclared', 'CORE-TOOL-EMBEDDED-CAPABILITY', [discover(caps={"tools": {}}),
    Ex("tools/list", id=1).result(res(tools=TOOLS, ttlMs=0, cacheScope="public")),
    call("echo", {"text": "x"}).result(res(content=[{"type": "resource", "resource": {"uri": "test://a", "text": "A"}}]))],
    note='a tool result embeds a resource; the server declares no resources capability')
bad('prompt-image-not-base64', 'CORE-PROMPT-MEDIA-ENCODING', [D,
    Ex("prompts/get", {"name": "greet"}, id=2).result(res(messages=[{"role": "user", "content": {"type": "image", "data": "not base64!", "mimeType": "image/png"}}]), id=2)])
bad('resource-blob-not-base64', 'CORE-RESOURCE-BLOB-ENCODING', [D,
    Ex("resources/read", {"uri": "test://a"}, id=2).result(res(contents=[{"uri": "test://a", "blob": "%%%", "mimeType": "application/octet-stream"}], ttlMs=0, cacheScope="public"), id=2)])
bad('resource-uri-invalid', 'CORE-RESOURCE-URI-RFC3986', [D,
    Ex("resources/list", id=2).result(res(resources=[{"uri": "my app://a b", "name": "a"}], ttlMs=0, cacheScope="public"), id=2)],
    note='a custom scheme with a space, and a space in the path')
bad('meta-key-forward-dns', 'CORE-META-KEY-REVERSE-DNS', [D, TL,
    call("echo", {"text": "x"}).result(dict(res(content=text("x")), _meta=dict(RMETA, **{"example.com/trace": "1"})))],
    note='example.com/ where com.example/ is meant')
bad('prompt-embedded-without-mime', 'CORE-PROMPT-EMBEDDED-RESOURCE', [D,
    Ex("prompts/get", {"name": "greet"}, id=2).result(res(messages=[{"role": "user", "content": {"type": "resource", "resource": {"uri": "test://doc", "text": "A"}}}]), id=2)],
    note='an embedded resource without a MIME type')
bad('result-type-missing', 'CORE-RESULT-TYPE', [D, TL,
    call("echo", {"text": "x"}).result({"_meta": RMETA, "content": text("x")})])
bad('result-type-unknown', 'CORE-RESULT-TYPE-KNOWN', [D, TL,
    call("echo", {"text": "x"}).result(res("partial", content=text("x")))])
bad('result-schema', 'CORE-RESULT-SCHEMA', [D, TL,
    call("echo", {"text": "x"}).result(res(content="x"))], note='content must be an array of content blocks')
bad('error-code-reserved', 'CORE-ERROR-CODE-RESERVED', [D, TL,
    call("echo", {"text": "x"}).error(400, -32050, "custom")])
bad('error-code-jsonrpc-reserved', 'CORE-ERROR-CODE-APP-RANGE', [D, TL,
    call("echo", {"text": "x"}).error(400, -32500, "custom")], note='a code of the server\'s own in the JSON-RPC reserved range')
bad('error-code-legacy-not-found', 'CORE-ERROR-CODE-LEGACY CORE-RESOURCE-NOT-FOUND', [D,
    Ex("resources/read", {"uri": "test://mcpverify-nonexistent-1"}, id=2).error(400, -32002, "Resource not found", id=2)])
bad('error-code-legacy-range', 'CORE-ERROR-CODE-LEGACY-RANGE', [D, TL,
    call("echo", {"text": "x"}).error(500, -32001, "oops")])
bad('header-mismatch-unprovoked', 'CORE-ERROR-CODE-MEANING', [D,
    Ex("tools/list", id=2).error(400, -32020, "header mismatch", id=2)])
bad('unsupported-version-unprovoked', 'CORE-ERROR-CODE-MEANING', [D,
    Ex("tools/list", id=2).error(400, -32022, "Unsupported", {"supported": ["2025-11-25"], "requested": V}, id=2)])
bad('method-not-found-declared', 'CORE-ERROR-CODE-MEANING', [D,
    Ex("tools/list", id=2).error(404, -32601, "Method not found", id=2)], note='the server declares tools')
bad('server-info-missing', 'CORE-SERVERINFO', [D, TL,
    call("echo", {"text": "x"}).result({"resultType": "complete", "content": text("x")})])
bad('discover-server-info-missing', 'CORE-DISCOVER-SERVERINFO', [discover(server_info=False)])
bad('cache-hints-missing', 'CORE-CACHE-HINTS', [D,
    Ex("tools/list", id=2).result(res(tools=[]), id=2)])
bad('cache-ttl-negative', 'CORE-CACHE-TTL', [D,
    Ex("tools/list", id=2).result(res(tools=[], ttlMs=-1, cacheScope="public"), id=2)])
bad('cache-scope-pages', 'CORE-CACHE-SCOPE-PAGES', [D,
    Ex("tools/list", id=2).result(res(tools=TOOLS[:2], nextCursor="c1", ttlMs=1000, cacheScope="private"), id=2),
    Ex("tools/list", {"cursor": "c1"}, id=3).result(res(tools=TOOLS[2:], ttlMs=1000, cacheScope="public"), id=3)],
    note='a shared cache may now serve private tools to other users')
bad('capability-undeclared-prompts', 'CORE-PROMPTS-CAPABILITY', [discover(caps={"tools": {}}),
    Ex("prompts/list", id=2).result(res(prompts=[], ttlMs=0, cacheScope="public"), id=2)])
bad('capability-undeclared-tools', 'CORE-CAPABILITY-DECLARED', [discover(caps={"prompts": {}}),
    Ex("tools/list", id=2).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
bad('capability-undeclared-resources', 'CORE-RESOURCES-CAPABILITY', [discover(caps={"tools": {}}),
    Ex("resources/list", id=2).result(res(resources=[], ttlMs=0, cacheScope="public"), id=2)])
bad('capability-undeclared-completions', 'CORE-COMPLETION-CAPABILITY', [discover(caps={"prompts": {}}),
    Ex("completion/complete", {"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "n", "value": "a"}}, id=2)
        .result(res(completion={"values": []}), id=2)])
bad('output-schema', 'CORE-OUTPUT-SCHEMA', [D, TL,
    call("weather", {"city": "Oslo"}).result(res(content=text(j({"temp": "warm"})), structuredContent={"temp": "warm"}))])
bad('output-schema-missing', 'CORE-OUTPUT-SCHEMA', [D, TL,
    call("weather", {"city": "Oslo"}).result(res(content=text("3.5")))])
bad('resource-empty-contents', 'CORE-RESOURCE-NOT-EMPTY', [D,
    Ex("resources/read", {"uri": "test://mcpverify-nonexistent-1"}, id=2).result(res(contents=[], ttlMs=0, cacheScope="private"), id=2)])
bad('resource-not-found-code', 'CORE-RESOURCE-NOT-FOUND', [D,
    Ex("resources/read", {"uri": "test://mcpverify-nonexistent-1"}, id=2).error(400, -32603, "Internal error", id=2)])
bad('mrtr-wrong-method', 'CORE-MRTR-METHODS', [D,
    Ex("tools/list", id=2, meta_=meta({"elicitation": {}})).result({"resultType": "input_required", "_meta": RMETA, "requestState": "x"}, id=2)])
bad('mrtr-empty', 'CORE-MRTR-NONEMPTY', [D, TL,
    call("confirm", {}).result({"resultType": "input_required", "_meta": RMETA})])
bad('mrtr-kind', 'CORE-MRTR-KINDS', [D, TL,
    call("confirm", {}, caps={"elicitation": {}}).result({"resultType": "input_required", "_meta": RMETA, "inputRequests": {"x": {"method": "tools/call", "params": {"name": "echo"}}}})])
dup_body = '{"jsonrpc":"2.0","id":2,"result":{"resultType":"input_required","_meta":%s,"inputRequests":{"a":{"method":"roots/list"},"a":{"method":"roots/list"}}}}' % j(RMETA)
bad('mrtr-duplicate-keys', 'CORE-MRTR-KEYS-UNIQUE', [D, TL,
    call("confirm", {}, caps={"roots": {}}).json(200, dup_body)])
bad('mrtr-undeclared-capability', 'CORE-MRTR-CAPABILITY', [D, TL,
    call("confirm", {}, caps={}).result({"resultType": "input_required", "_meta": RMETA, "inputRequests": {
        "ok": {"method": "elicitation/create", "params": {"mode": "form", "message": "Sure?", "requestedSchema": {"type": "object", "properties": {}}}}}})])
PM0 = dict(meta(), progressToken="p")
bad('capability-error-no-data', 'CORE-CAPABILITY-REQUIRED', [D, TL,
    call("confirm", {}, caps={}).error(400, -32021, "needs elicitation")])
bad('capability-error-status', 'HTTP-CAPABILITY-STATUS', [D, TL,
    call("confirm", {}, caps={}).error(200, -32021, "needs elicitation", {"requiredCapabilities": {"elicitation": {}}})])
bad('notification-schema', 'CORE-MESSAGE-SCHEMA', [D, TL,
    call("echo", {"text": "x"}, _meta=PM0).sse([
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p"}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])], note='progress without its required progress value')
bad('progress-null-token', 'CORE-MESSAGE-SCHEMA CORE-PROGRESS-TOKEN', [D, TL,
    call("echo", {"text": "x"}).sse([
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": None, "progress": 1}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])], note='progress for a null token on a request that gave none: a schema failure, and a token no request provided')
bad('log-without-level', 'CORE-LOG-OPT-IN', [D, TL,
    call("echo", {"text": "x"}).sse([
        {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hello"}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
bad('log-undeclared', 'CORE-LOG-CAPABILITY', [discover(caps={"tools": {}}), TL,
    call("echo", {"text": "x"}, _meta=dict(meta(), **{"io.modelcontextprotocol/logLevel": "debug"})).sse([
        {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hello"}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
bad('log-level-invalid-accepted', 'CORE-LOG-INVALID-LEVEL', [D,
    Ex("tools/list", id=2, meta_=dict(meta(), **{"io.modelcontextprotocol/logLevel": "loud"})).result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)])
PM = dict(meta(), progressToken="p")
bad('progress-decreasing', 'CORE-PROGRESS-INCREASING', [D, TL,
    call("echo", {"text": "x"}, _meta=PM).sse([
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p", "progress": 2}},
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p", "progress": 2}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
bad('progress-foreign-token', 'CORE-PROGRESS-TOKEN', [D, TL,
    call("echo", {"text": "x"}, _meta=PM).sse([
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "other", "progress": 1}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
bad('progress-without-token', 'CORE-PROGRESS-TOKEN', [D, TL,
    call("echo", {"text": "x"}).sse([
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p", "progress": 1}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
bad('cancelled-on-call-stream', 'CORE-CANCELLED-ONLY-LISTEN', [D, TL,
    call("echo", {"text": "x"}).sse([
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2}},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
SUB = {"_meta": {"io.modelcontextprotocol/subscriptionId": 7}}
ACK = {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged", "params": dict(SUB, notifications={"toolsListChanged": True})}
def listen(msgs, filt={"toolsListChanged": True}):
    return Ex("subscriptions/listen", {"notifications": filt}, id=7).sse(msgs)
bad('listen-ack-not-first', 'CORE-LISTEN-ACK-FIRST', [D, listen([
    {"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": SUB}, ACK])])
bad('listen-result-without-ack', 'CORE-LISTEN-ACK', [D, listen([
    {"jsonrpc": "2.0", "id": 7, "result": {"resultType": "complete", "_meta": {"io.modelcontextprotocol/subscriptionId": 7, "io.modelcontextprotocol/serverInfo": SERVER_INFO}}}])])
bad('listen-no-subscription-id', 'CORE-LISTEN-SUBSCRIPTION-ID', [D, listen([
    ACK, {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}])])
bad('listen-wrong-subscription-id', 'CORE-LISTEN-SUBSCRIPTION-ID', [D, listen([
    ACK, {"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {"_meta": {"io.modelcontextprotocol/subscriptionId": "7"}}}])])
bad('listen-unrequested-type', 'CORE-LISTEN-FILTER', [D, listen([
    ACK, {"jsonrpc": "2.0", "method": "notifications/prompts/list_changed", "params": SUB}])])
bad('listen-ack-superset', 'CORE-LISTEN-FILTER', [D, listen([
    {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged", "params": dict(SUB, notifications={"toolsListChanged": True, "promptsListChanged": True})}])])
bad('listen-log-message', 'CORE-LOG-STREAM', [D, listen([
    ACK, {"jsonrpc": "2.0", "method": "notifications/message", "params": dict(SUB, level="info", data="x")}])])
bad('list-changed-on-call-stream', 'CORE-STREAM-RELATED', [D, TL,
    call("echo", {"text": "x"}).sse([
        {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"},
        {"jsonrpc": "2.0", "id": 2, "result": res(content=text("x"))}])])
bad('stdio-stray-output', 'STDIO-STDOUT', [SD,
    StdioEx(sreq("tools/list", id=1), ["Listening on stdio...", sl({"jsonrpc": "2.0", "id": 1, "result": res(tools=[], ttlMs=0, cacheScope="public")})])],
    transport='stdio', note='a log line printed to stdout corrupts the stream')
bad('stdio-after-cancel', 'CORE-CANCEL-SILENCE', [SD,
    StdioEx(sreq("tools/call", {"name": "slow", "arguments": {}}, id=4), [sl({"jsonrpc": "2.0", "id": 4, "result": res(content=text("too late"))})],
            meta_lines=["cancel-at: 100ms", "line-at: 5s", "outcome: cancelled"])],
    transport='stdio')
bad('stdio-server-request', 'CORE-MRTR-PATTERN', [SD,
    StdioEx(sreq("tools/call", {"name": "echo", "arguments": {}}, id=4, caps={"roots": {}}), [
        sl({"jsonrpc": "2.0", "id": "srv-1", "method": "roots/list"}),
        sl({"jsonrpc": "2.0", "id": 4, "result": res(content=text("x"))})])],
    transport='stdio')
bad('stdio-server-request-ping', 'STDIO-NO-REQUESTS', [SD,
    StdioEx(sreq("tools/call", {"name": "echo", "arguments": {}}, id=4), [
        sl({"jsonrpc": "2.0", "id": "srv-1", "method": "ping"}),
        sl({"jsonrpc": "2.0", "id": 4, "result": res(content=text("x"))})])],
    transport='stdio')
bad('stdio-split-message', 'STDIO-NEWLINES', [SD,
    StdioEx(sreq("tools/list", id=1), ['{"jsonrpc": "2.0",', ' "id": 1, "result": ' + j(res(tools=[], ttlMs=0, cacheScope="public")) + '}'])],
    transport='stdio', note='a pretty-printed message: one message over two lines')
bad('stdio-progress-after-completion', 'CORE-PROGRESS-AFTER-COMPLETION', [SD,
    StdioEx(sreq("tools/call", {"name": "echo", "arguments": {}}, id=4, progressToken=1), [
        sl({"jsonrpc": "2.0", "id": 4, "result": res(content=text("x"))}),
        sl({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 1, "progress": 1}})])],
    transport='stdio')
def lst(method, key, items, conn, id):
    return Ex(method, id=id).result(res(**{key: items, "ttlMs": 0, "cacheScope": "public"})).on(conn)
T2 = [{"name": "a", "inputSchema": {"type": "object"}}, {"name": "b", "inputSchema": {"type": "object"}}]
T1 = T2[:1]
ok('list-changes-over-time', [D,
    lst("tools/list", "tools", T2, 1, 2), lst("tools/list", "tools", T2, 2, 3),
    lst("tools/list", "tools", T1, 1, 4), lst("tools/list", "tools", T1, 2, 5),
    lst("tools/list", "tools", list(reversed(T2)), 2, 6), lst("tools/list", "tools", T2, 1, 7)],
    note='a list may change over time; every connection sees the change')
bad('list-per-connection-tools', 'CORE-LIST-STABLE', [D,
    lst("tools/list", "tools", T2, 1, 2), lst("tools/list", "tools", T1, 2, 3),
    lst("tools/list", "tools", T2, 1, 4), lst("tools/list", "tools", T1, 2, 5)],
    note='each connection keeps its own tool list: connection state leaking into the list')
P2 = [{"name": "p"}, {"name": "q"}]
bad('list-per-connection-prompts', 'CORE-PROMPTS-LIST-STABLE', [D,
    lst("prompts/list", "prompts", P2, 1, 2), lst("prompts/list", "prompts", P2[:1], 2, 3),
    lst("prompts/list", "prompts", P2, 1, 4), lst("prompts/list", "prompts", P2[:1], 2, 5)])
R2 = [{"uri": "file:///a", "name": "a"}, {"uri": "file:///b", "name": "b"}]
bad('list-per-connection-resources', 'CORE-RESOURCES-LIST-STABLE', [D,
    lst("resources/list", "resources", R2[:1], 3, 2), lst("resources/list", "resources", R2, 4, 3),
    lst("resources/list", "resources", R2[:1], 3, 4), lst("resources/list", "resources", R2, 4, 5)])
# ------------------------------------------------- requestState and handles
# (model/state.go). The header fields configure the model (state_test.go):
# principals, state-ttl-max, single-use, state-matters, handles,
# handle-ttl-max.

ALICE = {"Authorization": "Bearer alice-token"}
BOB = {"Authorization": "Bearer bob-token"}
ST_TOOLS = TOOLS + [
    {"name": "transfer", "inputSchema": {"type": "object", "properties": {"to": {"type": "string"}, "amount": {"type": "integer"}}}},
    {"name": "redeem", "inputSchema": {"type": "object", "properties": {"code": {"type": "string"}}}},
    {"name": "create_basket", "inputSchema": {"type": "object"},
     "outputSchema": {"type": "object", "properties": {"basket_id": {"type": "string"}}, "required": ["basket_id"]}},
    {"name": "add_item", "inputSchema": {"type": "object", "properties": {"basket_id": {"type": "string"}, "sku": {"type": "string"}}}},
    {"name": "delete_basket", "inputSchema": {"type": "object", "properties": {"basket_id": {"type": "string"}}}},
]
STL = tools_list(ST_TOOLS)
ELICIT = {"elicitation": {}}
CONFIRM_REQ = {"ok": {"method": "elicitation/create", "params": {"mode": "form", "message": "Sure?",
    "requestedSchema": {"type": "object", "properties": {"yes": {"type": "boolean"}}}}}}
YES = {"ok": {"action": "accept", "content": {"yes": True}}}
PAY = {"to": "bob", "amount": 5}

def irr(state):
    return {"resultType": "input_required", "_meta": RMETA, "inputRequests": CONFIRM_REQ, "requestState": state}

def ask(name, args, id, state, who=ALICE):
    """A first request answered with an InputRequiredResult carrying state."""
    return call(name, args, id=id, caps=ELICIT, headers=who).result(irr(state), id=id)

def retry(name, args, id, state, who=ALICE):
    """A retry that echoes state; the caller sets the answer."""
    h = dict(who) if who else {}
    return call(name, args, id=id, caps=ELICIT, headers=h or None, inputResponses=YES, requestState=state)

def done(ex, t="done"):
    return ex.result(res(content=text(t)), id=ex.id)

def refused(ex, why="requestState rejected"):
    return ex.error(400, -32602, "Invalid params: " + why, {"reason": why}, id=ex.id)

def tool_error(ex, t):
    return ex.result(res(content=text(t), isError=True), id=ex.id)

S1, S2, S3 = "s1.AAECAwQFBgcICQoLDA0ODxAREhM", "s1.FBUWFxgZGhscHR4fICEiIyQlJicp", "s1.KissLS4vMDEyMzQ1Njc4OTo7PD0"

ok('state-bound', [D, STL,
    ask("confirm", {}, 2, S2).at('1s'),
    ask("transfer", PAY, 3, S1).at('2s'),
    done(retry("transfer", PAY, 4, S1)).at('3s'),
    refused(retry("transfer", PAY, 5, S1, who=BOB), "state of another principal").at('4s'),
    refused(retry("transfer", dict(PAY, amount=500), 6, S1), "state of another request").at('5s'),
    refused(retry("confirm", {}, 7, S1), "state of another request").at('6s'),
    refused(retry("transfer", PAY, 8, S1), "expired").at('20m'),
    retry("transfer", PAY, 9, S1).result(irr(S3 + "x"), id=9).at('21m'),
    refused(retry("transfer", PAY, 10, S1 + "A"), "invalid state").at('22m'),
    ask("redeem", {"code": "X1"}, 11, S3).at('23m'),
    done(retry("redeem", {"code": "X1"}, 12, S3), "redeemed").at('23m1s'),
    tool_error(retry("redeem", {"code": "X1"}, 13, S3), "code already redeemed").at('23m2s'),
    done(retry("echo", {"text": "x"}, 14, S1, who=BOB), "x").at('23m3s'),
    ask("confirm", {}, 15, "step-2", who=ALICE).at('24m'),
    ask("confirm", {}, 16, "step-2", who=BOB).at('24m1s'),
    done(retry("confirm", {}, 17, "step-2", who=BOB)).at('24m2s'),
], principals='credential', state_ttl_max='10m', single_use='tools/call redeem', state_matters='tools/call transfer',
    note='requestState bound to its request, arguments and principal, with an expiry; single use where claimed; a forged state refused; '
         'a tool that never issues state may ignore one; a state the server minted for two principals serves both')

HANDLES = ('mint create_basket basket structuredContent/basket_id, use add_item basket basket_id, '
           'delete delete_basket basket basket_id')

def create(id, bid, who=ALICE):
    return call("create_basket", {}, id=id, headers=who).result(
        res(content=text(j({"basket_id": bid})), structuredContent={"basket_id": bid}), id=id)

def add(id, bid, who=ALICE):
    return call("add_item", {"basket_id": bid, "sku": "apple"}, id=id, headers=who)

def delete(id, bid, who=ALICE):
    return call("delete_basket", {"basket_id": bid}, id=id, headers=who)

ok('handles-owner', [D, STL,
    create(2, "bsk_1"),
    done(add(3, "bsk_1"), "added"),
    tool_error(add(4, "bsk_1", who=BOB), "basket bsk_1 not found"),
    add(5, "bsk_1", who={}).empty(401, {"WWW-Authenticate": 'Bearer resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource"'}),
    done(delete(6, "bsk_1"), "deleted"),
    done(delete(7, "bsk_1"), "already deleted"),
    tool_error(add(8, "bsk_1"), "basket bsk_1 has expired or was deleted"),
    create(9, "bsk_2"),
    done(add(10, "bsk_2"), "added").at('50m'),
    done(add(11, "bsk_2"), "added").at('100m'),
    create(12, "bsk_3", who={}).at('101m'),
    done(add(13, "bsk_3", who={}), "added").at('101m1s'),
    tool_error(add(14, "bsk_2"), "basket bsk_2 has expired").at('200m'),
], principals='credential', handles=HANDLES, handle_ttl_max='1h',
    note='a handle used by its owner; refused for another principal, without credentials, and after its release; '
         'an idle timer reset by use; a handle minted without credentials is a bearer token by design')

bad('state-bind-request', 'STATE-BIND-REQUEST', [D, STL,
    ask("confirm", {}, 2, S2),
    ask("transfer", PAY, 3, S1),
    done(retry("confirm", {}, 4, S1))],
    note='a requestState minted for transfer completes confirm, which issues state of its own')
bad('state-bind-args', 'STATE-BIND-ARGS', [D, STL,
    ask("transfer", PAY, 2, S1),
    done(retry("transfer", dict(PAY, amount=500), 3, S1))],
    note='the state of a transfer of 5 completes a transfer of 500')
bad('state-bind-principal', 'STATE-BIND-PRINCIPAL', [D, STL,
    ask("transfer", PAY, 2, S1),
    done(retry("transfer", PAY, 3, S1, who=BOB))],
    principals='credential', note="bob completes alice's transfer with her requestState")
bad('state-bind-expiry', 'STATE-BIND-EXPIRY', [D, STL,
    ask("transfer", PAY, 2, S1).at('1s'),
    done(retry("transfer", PAY, 3, S1)).at('15m')],
    state_ttl_max='10m', note='a requestState honoured 15 minutes after it was minted (told: 10 minutes at most)')
bad('state-single-use', 'STATE-SINGLE-USE', [D, STL,
    ask("redeem", {"code": "X1"}, 2, S3),
    done(retry("redeem", {"code": "X1"}, 3, S3), "redeemed"),
    done(retry("redeem", {"code": "X1"}, 4, S3), "redeemed")],
    single_use='tools/call redeem', note='a one-time redemption completes twice on one requestState')
bad('state-integrity-forged', 'STATE-INTEGRITY', [D, STL,
    ask("transfer", PAY, 2, S1),
    done(retry("transfer", PAY, 3, S1 + "A"))],
    state_matters='tools/call transfer', note='a requestState the server never minted completes a request whose state matters')
bad('handle-other-principal', 'STATE-HANDLE-PRINCIPAL', [D, STL,
    create(2, "bsk_1"),
    done(add(3, "bsk_1", who=BOB), "added")],
    principals='credential', handles=HANDLES, note="bob adds to alice's basket")
bad('handle-no-credentials', 'STATE-HANDLE-NOT-AUTH STATE-HANDLE-PRINCIPAL', [D, STL,
    create(2, "bsk_1"),
    done(add(3, "bsk_1", who={}), "added")],
    principals='credential', handles=HANDLES, note="a request without credentials reaches alice's basket by its handle alone")
bad('handle-after-release', 'STATE-HANDLE-RELEASED', [D, STL,
    create(2, "bsk_1"),
    done(delete(3, "bsk_1"), "deleted"),
    done(add(4, "bsk_1"), "added")],
    handles=HANDLES, note='a basket still usable after delete_basket released it')
bad('handle-expired', 'STATE-HANDLE-EXPIRY', [D, STL,
    create(2, "bsk_1").at('1s'),
    done(add(3, "bsk_1"), "added").at('2h')],
    handles=HANDLES, handle_ttl_max='1h', note='a handle honoured after two idle hours (told: one hour at most)')

# Fixed bugs of the model (false positives found against real servers).
fixed('origin-403-without-id', [D,
    Ex("tools/list", id=2, headers={"Origin": "http://evil.example"}).json(403, {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Forbidden origin"}})],
    note='streamable-http.mdx: the 403 body MAY be a JSON-RPC error response that has no id; once reported as CORE-RESPONSE-ID')
fixed('requested-version-from-header', [D,
    Ex("tools/list", id=2, headers={"MCP-Protocol-Version": "1900-01-01"}).error(400, -32022, "Unsupported", {"supported": [V], "requested": "1900-01-01"})],
    note='header and body differ: data.requested may name either version; once reported as CORE-VERSION-UNSUPPORTED')
fixed('initialize-from-legacy-client', [D,
    Ex("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}, id=2, meta_=False)
        .error(400, -32602, "missing _meta; supported versions: 2026-07-28")],
    note='versioning.mdx: the code is implementation-defined for initialize without _meta; once reported as CORE-METHOD-NOT-FOUND')
fixed('array-params-invalid-params', [D,
    Ex("tools/list", body='{"jsonrpc":"2.0","id":2,"method":"tools/list","params":[{}]}').error(400, -32602, "params must be an object", id=2)],
    note='array params: -32602 is as good as -32600; once reported as CORE-INVALID-REQUEST')
fixed('host-refusal-text-plain', [D,
    Ex("tools/list", id=2, headers={"Host": "evil.example"}).empty(403, {"Content-Type": "text/plain"}, "Forbidden")],
    note='an HTTP-layer refusal carries no JSON-RPC answer; once reported as HTTP-CONTENT-TYPE')
fixed('invalid-utf8-served', [D,
    Ex("tools/list", body='{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"\udcff","version":"1"}}}}')
        .result(res(tools=[], ttlMs=0, cacheScope="public"), id=2)],
    note='invalid UTF-8 inside a string: parsers differ and no MUST makes a server refuse it; once reported as CORE-PARSE-ERROR')
fixed('parse-error-null-id', [D,
    Ex("tools/list", body='{"jsonrpc":"2.0","id":2,').json(400, '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}')],
    note='JSON-RPC 2.0 writes "id": null when the id cannot be read; schema.json omits it; once reported as CORE-MESSAGE-SCHEMA')
fixed('mrtr-capability-malformed-responses', [D, TL,
    call("confirm", {}, caps={"elicitation": {}, "sampling": {}, "roots": {}}, inputResponses="oops", requestState="c2VhbGVk").result({"resultType": "input_required", "_meta": RMETA, "inputRequests": {
        "ok": {"method": "elicitation/create", "params": {"mode": "form", "message": "Sure?", "requestedSchema": {"type": "object", "properties": {}}}}}})],
    note='inputResponses is a string, so the typed params do not decode; the elicitation asked for is declared in _meta; once reported as CORE-MRTR-CAPABILITY')
fixed('param-name-variant-refused', [D, TL,
    call("echo", {"text": "x"}, headers={"Mcp-Param-Dry-Run": "true", "Mcp-Param-Dry_Run": "false"}).error(400, -32020, "the headers Mcp-Param-Dry-Run and Mcp-Param-Dry_Run differ only by '-' and '_'")],
    note="two Mcp-Param names that differ only by '-' and '_' may be refused as ambiguous; once reported as HTTP-HEADER-NAME-CASE")
print('ok')
