// The dashboard's line chart: the last two minutes of samples as an SVG, with a legend and an accessible summary.
import { h, s, uid } from './dom.js';
import { WINDOW_MS, type Sample } from './state.js';

export interface Series {
  key: string;
  label: string;
}

export interface Chart {
  el: HTMLElement;
  draw: (samples: readonly Sample[], series: readonly Series[], format: (v: number) => string) => void;
}

export function chart(title: string, unitLabel: string, hideCaption = false): Chart {
  const id = uid('chart');
  const svg = s('svg', { viewBox: '0 0 600 150', class: 'chart', role: 'img', 'aria-labelledby': id });
  const legend = h('ul', { class: 'legend' });
  const el = h('figure', { class: 'chart-box' }, h('figcaption', { id, class: hideCaption ? 'sr-only' : null }, title), svg, legend);
  const draw: Chart['draw'] = (samples, series, format) => {
    const W = 600;
    const H = 150;
    const left = 48;
    const right = 8;
    const top = 8;
    const bottom = 22;
    const now = Date.now();
    const recent = samples.filter((p) => now - p.t <= WINDOW_MS);
    const valueOf = (p: Sample, key: string): number | undefined => {
      const v = p[key];
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    };
    const values = recent.flatMap((p) => series.map((sr) => valueOf(p, sr.key))).filter((v): v is number => v !== undefined);
    let max = Math.max(0, ...values);
    const min = Math.min(0, ...values);
    if (max - min < 1) max = min + 1;
    const x = (t: number): number => left + ((W - left - right) * (WINDOW_MS - (now - t))) / WINDOW_MS;
    const y = (v: number): number => top + ((H - top - bottom) * (max - v)) / (max - min);
    svg.replaceChildren();
    for (const v of min < 0 ? [max, 0, min] : [max, max / 2, 0]) {
      svg.append(s('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }));
      svg.append(s('text', { x: left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, format(v)));
    }
    svg.append(s('text', { x: left, y: H - 4, class: 'tick' }, '2 min ago'));
    svg.append(s('text', { x: W - right, y: H - 4, class: 'tick', 'text-anchor': 'end' }, 'now'));
    legend.replaceChildren();
    const summary: string[] = [];
    series.forEach((sr, i) => {
      const points = recent.flatMap((p) => {
        const v = valueOf(p, sr.key);
        return v === undefined ? [] : [{ t: p.t, v }];
      });
      if (points.length > 1) svg.append(s('polyline', { class: 'line s' + i, points: points.map((p) => x(p.t).toFixed(1) + ',' + y(p.v).toFixed(1)).join(' ') }));
      const last = points[points.length - 1];
      const shown = last === undefined ? '–' : format(last.v);
      summary.push(sr.label + ' ' + shown);
      legend.append(h('li', {}, h('span', { class: 'swatch s' + i, 'aria-hidden': 'true' }), sr.label + ' ', h('strong', {}, shown)));
    });
    svg.setAttribute('aria-label', title + (unitLabel ? ' (' + unitLabel + ')' : '') + ': ' + summary.join(', '));
  };
  return { el, draw };
}
