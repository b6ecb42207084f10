// Reports the built bundle's gzipped size: the first page (index.html, the
// entry script and CSS with the chunks they import statically) against the
// 250 KB target, and every lazily loaded chunk. Writes dist/bundle-size.json.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const assets = join(dist, 'assets');
const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]);
// Follow static imports of the entry chunks (dynamic import() is lazy).
const firstPage = new Set(entries);
for (const file of [...firstPage]) {
  if (!file.endsWith('.js')) continue;
  const code = readFileSync(join(assets, file), 'utf8');
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+)["']/g)) firstPage.add(m[1]);
}
const all = readdirSync(assets);
const first = [...firstPage].reduce((sum, f) => sum + gz(join(assets, f)), gz(join(dist, 'index.html')));
const lazy = all.filter((f) => !firstPage.has(f)).map((f) => ({ file: f, gzip: gz(join(assets, f)) }));
const report = {
  first_page_gzip_bytes: first,
  target_bytes: 250 * 1024,
  met: first <= 250 * 1024,
  first_page_files: ['index.html', ...firstPage],
  lazy_chunks: lazy,
};
writeFileSync(join(dist, 'bundle-size.json'), JSON.stringify(report, null, 2));
console.log(`first page: ${kb(first)} gzipped (target 250 KB: ${report.met ? 'met' : 'MISSED'})`);
for (const c of lazy) console.log(`  lazy ${c.file}: ${kb(c.gzip)} gzipped`);
