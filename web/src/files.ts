// Saving what the app made or fetched as a file the browser downloads.

/** Saves `blob` as a download named `name`. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has started once the click returns; the URL can go soon after.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Saves a CSV (text, or a body fetched as it is) as a download. A
 * byte-order mark makes Excel read it as UTF-8 (CO₂, “≤”, é); the
 * service's imports take it off again. */
export function saveCsv(csv: BlobPart, name: string): void {
  saveFile(new Blob(['\ufeff', csv], { type: 'text/csv' }), name);
}
