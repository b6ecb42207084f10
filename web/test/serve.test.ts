// web/serve.mjs as a process: malformed URLs are answered 400 and the
// server keeps serving.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: ChildProcess;
let port = 0;

/** A GET of a raw path, sent as it is (no client-side normalisation). */
function get(path: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const dist = mkdtempSync(join(tmpdir(), 'serve-test-'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title>');
  server = spawn(process.execPath, [new URL('../serve.mjs', import.meta.url).pathname], {
    env: { ...process.env, PORT: '0', DIST_DIR: dist },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  port = await new Promise<number>((resolve, reject) => {
    server.stdout?.on('data', (chunk: Buffer) => {
      const match = /:(\d+)/.exec(chunk.toString());
      if (match?.[1]) resolve(Number(match[1]));
    });
    server.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
});

afterAll(() => {
  server.kill();
});

describe('serve.mjs', () => {
  it('answers 400 to URLs that cannot be decoded and keeps serving', async () => {
    for (const path of ['/%E0%A4%A', '//a%25', '/%']) {
      expect((await get(path)).status, path).toBe(400);
    }
    const normal = await get('/');
    expect(normal.status).toBe(200);
    expect(normal.body).toContain('<title>app</title>');
    expect(server.exitCode).toBeNull();
  });

  it('asks browsers to use HTTPS only (HSTS) on every answer', async () => {
    for (const path of ['/', '/config.js', '/%']) {
      expect((await get(path)).headers['strict-transport-security'], path).toBe('max-age=31536000');
    }
  });

  it('serves the app for unknown paths and never a file outside dist', async () => {
    expect((await get('/usages')).body).toContain('<title>app</title>');
    expect((await get('/../../etc/passwd')).body).toContain('<title>app</title>');
  });
});
