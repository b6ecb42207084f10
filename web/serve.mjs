// Serves the built app (dist/, or DIST_DIR) on PORT (default 8080): static
// files, the SPA fallback to index.html, /config.js from USER_API_URL,
// CARBON_API_URL and ACCESS_TOKEN_TTL_SECONDS, and a strict
// Content-Security-Policy.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const dist = resolve(process.env.DIST_DIR ?? new URL('./dist/', import.meta.url).pathname) + sep;
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const userApi = process.env.USER_API_URL ?? 'http://localhost:8081';
const carbonApi = process.env.CARBON_API_URL ?? 'http://localhost:8082';
// user-service's ACCESS_TOKEN_TTL_SECONDS: how long a deactivated user's
// last token still works at carbon-service (the Users page waits it out).
const accessTokenTtlSeconds = Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900) || 900;
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
// HSTS: browsers heed it only over HTTPS (RFC 6797 §8.1), so it is safe
// to send on plain-HTTP localhost too. HSTS_MAX_AGE=0 withdraws it.
const hstsMaxAge = Number(process.env.HSTS_MAX_AGE ?? 31536000);
const common = {
  'content-security-policy': csp,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': `max-age=${Number.isFinite(hstsMaxAge) && hstsMaxAge >= 0 ? hstsMaxAge : 31536000}`,
};

if (!existsSync(join(dist, 'index.html'))) {
  console.error(`${dist} has no index.html: run \`npm run build\` in web/ first`);
  process.exit(1);
}

/** The decoded path of a request URL, or null when it cannot be decoded. */
function requestPath(url) {
  try {
    return decodeURIComponent(new URL(url ?? '/', 'http://x').pathname);
  } catch {
    return null;
  }
}

function plain(res, status, text) {
  res.writeHead(status, { ...common, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

const server = createServer((req, res) => {
  const path = requestPath(req.url);
  // A malformed URL (`/%E0%A4%A`) is the client's error, never the server's end.
  if (path === null || path.includes('\0')) {
    plain(res, 400, 'Bad request: the URL cannot be decoded.');
    return;
  }
  if (path === '/config.js') {
    res.writeHead(200, { ...common, 'content-type': types['.js'], 'cache-control': 'no-store' });
    res.end(`window.__CARBON_CONFIG__ = ${JSON.stringify({ userApi, carbonApi, accessTokenTtlSeconds })};\n`);
    return;
  }
  const file = normalize(join(dist, path));
  const inside = file.startsWith(dist);
  const target = inside && existsSync(file) && statSync(file).isFile() ? file : join(dist, 'index.html');
  const cache = target.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  const stream = createReadStream(target);
  stream.on('open', () => {
    res.writeHead(200, { ...common, 'content-type': types[extname(target)] ?? 'application/octet-stream', 'cache-control': cache });
    stream.pipe(res);
  });
  // A file that vanished or cannot be read ends this response, not the server.
  stream.on('error', (error) => {
    console.error(`serving ${target}: ${error.message}`);
    if (res.headersSent) res.destroy();
    else plain(res, 500, 'The file could not be read.');
  });
});
server.on('clientError', (_error, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  else socket.destroy();
});
server.listen(port, host, () => {
  const { port: bound } = server.address();
  console.log(`web app on http://${host === '0.0.0.0' ? 'localhost' : host}:${bound}`);
});
