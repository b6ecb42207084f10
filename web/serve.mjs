// Serves the built app (dist/) on PORT (default 8080): static files, the
// SPA fallback to index.html, /config.js from USER_API_URL and
// CARBON_API_URL, and a strict Content-Security-Policy.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const dist = new URL('./dist/', import.meta.url).pathname;
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const userApi = process.env.USER_API_URL ?? 'http://localhost:8081';
const carbonApi = process.env.CARBON_API_URL ?? 'http://localhost:8082';
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};
// Scripts only from this origin (no inline script, no eval); the page may
// talk only to itself and the two APIs. An injected script could not run,
// and could not send anything anywhere else.
const csp = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  `connect-src 'self' ${userApi} ${carbonApi}`, "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
].join('; ');
const common = {
  'content-security-policy': csp,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

if (!existsSync(join(dist, 'index.html'))) {
  console.error('web/dist is missing: run `npm run build` in web/ first');
  process.exit(1);
}

createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (path === '/config.js') {
    res.writeHead(200, { ...common, 'content-type': types['.js'], 'cache-control': 'no-store' });
    res.end(`window.__CARBON_CONFIG__ = ${JSON.stringify({ userApi, carbonApi })};\n`);
    return;
  }
  const file = normalize(join(dist, path));
  const inside = file.startsWith(dist);
  const target = inside && existsSync(file) && statSync(file).isFile() ? file : join(dist, 'index.html');
  const cache = target.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, { ...common, 'content-type': types[extname(target)] ?? 'application/octet-stream', 'cache-control': cache });
  createReadStream(target).pipe(res);
}).listen(port, host, () => console.log(`web app on http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`));
