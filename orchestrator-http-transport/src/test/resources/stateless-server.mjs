// A server of the stateless MCP revision 2026-07-28 only (TypeScript SDK v2, legacy: 'reject'): it refuses
// the 2025-11-25 opening. One tool, echo, over Streamable HTTP on 127.0.0.1. Usage: PORT=<port> node stateless-server.mjs
import http from 'node:http';
import * as z from 'zod/v4';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';

const factory = () => {
  const server = new McpServer({ name: 'stateless-echo', version: '1.0.0' });
  server.registerTool('echo', {
    description: 'Echoes back the input string',
    inputSchema: z.object({ message: z.string() }),
  }, async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }));
  return server;
};

const handler = createMcpHandler(factory, { legacy: 'reject', onerror: (e) => console.error('mcp error:', e.message) });

// Plain node:http <-> web Request/Response bridge (Node 20 has global Request/Response).
const httpServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
  if (url.pathname !== '/mcp') { res.writeHead(404).end('Not Found'); return; }
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) v.forEach((x) => headers.append(k, x)); else if (v !== undefined) headers.set(k, v);
  }
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  const request = new Request(url, { method: req.method, headers, body: body && req.method !== 'GET' && req.method !== 'HEAD' ? body : undefined, signal: ac.signal });
  try {
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) {
      for await (const chunk of response.body) res.write(chunk);
    }
    res.end();
  } catch (e) {
    console.error('handler failure:', e);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});

const port = Number(process.env.PORT ?? process.argv[2] ?? 0);
httpServer.listen(port, '127.0.0.1', () => {
  // Ready line; prints the real port (useful with PORT=0).
  console.log(`MCP stateless server listening on http://127.0.0.1:${httpServer.address().port}/mcp`);
});
const stop = async () => { await handler.close(); httpServer.close(); process.exit(0); };
process.on('SIGTERM', stop); process.on('SIGINT', stop);
