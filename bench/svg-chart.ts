/**
 * A small SVG time-series chart for the benchmark scripts (no plotting library): panels stacked
 * over one time axis, each with its own y scale, lines, and a legend. Deterministic output, so
 * a regenerated chart only changes when the numbers do.
 */

export interface Series {
  label: string;
  color: string;
  /** [x, y] pairs, x ascending. */
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
  /** Draw steps (a value holds until the next point) instead of straight segments. */
  steps?: boolean;
}

export interface Panel {
  title: string;
  series: Series[];
  /** Top of the y axis (default: the largest value, rounded up). */
  yMax?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  panels: Panel[];
  width?: number;
  panelHeight?: number;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (value: number) => (Math.round(value * 10) / 10).toString();

/** A "nice" axis top: 1, 2 or 5 times a power of ten, at or above `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function timeSeriesSvg(options: ChartOptions): string {
  const width = options.width ?? 900;
  const panelHeight = options.panelHeight ?? 220;
  const pad = { left: 64, right: 24, top: 40, gap: 64, bottom: 48 };
  const plotWidth = width - pad.left - pad.right;
  const height = pad.top + options.panels.length * (panelHeight + pad.gap) - pad.gap + pad.bottom;
  const xs = options.panels.flatMap((panel) =>
    panel.series.flatMap((series) => series.points.map(([x]) => x)),
  );
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const x = (value: number) => pad.left + ((value - xMin) / Math.max(1, xMax - xMin)) * plotWidth;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${pad.left}" y="22" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`,
  ];
  options.panels.forEach((panel, index) => {
    const top = pad.top + index * (panelHeight + pad.gap) + 18;
    const plotHeight = panelHeight - 18;
    const yMax =
      panel.yMax ??
      niceCeiling(Math.max(...panel.series.flatMap((series) => series.points.map(([, y]) => y))));
    const y = (value: number) => top + plotHeight - (Math.min(value, yMax) / yMax) * plotHeight;
    out.push(`<text x="${pad.left}" y="${top - 6}" font-weight="600">${escapeXml(panel.title)}</text>`);
    for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
      const lineY = fixed(y(yMax * fraction));
      out.push(
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${lineY}" y2="${lineY}" stroke="#d0d5dd"/>`,
        `<text x="${pad.left - 6}" y="${fixed(Number(lineY) + 4)}" text-anchor="end" fill="#475467">${fixed(yMax * fraction)}</text>`,
      );
    }
    for (const series of panel.series) {
      const points: string[] = [];
      series.points.forEach(([px, py], i) => {
        if (series.steps && i > 0) points.push(`${fixed(x(px))},${fixed(y(series.points[i - 1]![1]))}`);
        points.push(`${fixed(x(px))},${fixed(y(py))}`);
      });
      const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${series.color}" stroke-width="1.8" stroke-linejoin="round"${dash}/>`,
      );
    }
    let legendX = pad.left + panel.title.length * 7.2 + 24;
    for (const series of panel.series) {
      const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(
        `<line x1="${legendX}" x2="${legendX + 18}" y1="${top - 10}" y2="${top - 10}" stroke="${series.color}" stroke-width="2.5"${dash}/>`,
        `<text x="${legendX + 22}" y="${top - 6}" fill="#344054">${escapeXml(series.label)}</text>`,
      );
      legendX += 30 + series.label.length * 6.4;
    }
  });
  const axisY = height - pad.bottom + 18;
  const step = niceCeiling((xMax - xMin) / 8);
  for (let value = Math.ceil(xMin / step) * step; value <= xMax + 1e-9; value += step) {
    out.push(
      `<text x="${fixed(x(value))}" y="${axisY}" text-anchor="middle" fill="#475467">${fixed(value)}</text>`,
    );
  }
  out.push(
    `<text x="${pad.left + plotWidth / 2}" y="${axisY + 20}" text-anchor="middle" fill="#344054">${escapeXml(options.xLabel)}</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
