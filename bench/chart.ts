/** A bar chart of req/s per server, with p50 and p99 beside each bar, as a standalone SVG. */
import { writeFileSync } from 'node:fs';

export interface Bar {
  label: string;
  rps: number;
  p50: number;
  p99: number;
}

/** Writes the chart to `file`; returns `file`. */
export function writeChart(file: string, bars: Bar[]): string {
  const width = 900;
  const rowHeight = 28;
  const labelWidth = 300;
  const barSpace = 380;
  const top = 40;
  const height = top + bars.length * rowHeight + 20;
  const max = Math.max(...bars.map((b) => (Number.isFinite(b.rps) ? b.rps : 0)), 1);
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((bar, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(1, (bar.rps / max) * barSpace);
    const strata = bar.label.startsWith('Strata');
    return [
      `<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${strata ? '#2f6fdf' : '#9aa5b1'}"/>`,
      `<text x="${labelWidth + w + 6}" y="${y + 18}">${Math.round(bar.rps)} req/s · p50 ${bar.p50.toFixed(1)} ms · p99 ${bar.p99.toFixed(1)} ms</text>`,
    ].join('');
  });
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${labelWidth}" y="24" font-weight="bold">Requests per second (higher is better), with latency percentiles</text>`,
    ...rows,
    '</svg>',
  ].join('\n');
  writeFileSync(file, svg);
  return file;
}
