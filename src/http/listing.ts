// List query parameters as the management plugin reads them: sort, sort_reverse, columns, and page / page_size / name filters.
import { badRequest, type Reply } from './http-kit.js';

type Row = Record<string, unknown>;

const MAX_PAGE_SIZE = 500;

/** Applies `sort`, `columns` and pagination to a list reply. */
export function listReply(rows: Row[], query: URLSearchParams): Reply {
  let items = rows;
  const sortKey = query.get('sort');
  if (sortKey) {
    const path = sortKey.split('.');
    items = [...items].sort((a, b) => compareValues(pick(a, path), pick(b, path)));
  }
  if (query.get('sort_reverse') === 'true') items = [...items].reverse();
  const page = query.get('page');
  if (page === null) return { status: 200, body: project(items, query) };

  const pageNo = positiveInt(page, 'page');
  const pageSize = query.get('page_size') === null ? 100 : positiveInt(query.get('page_size')!, 'page_size');
  if (pageSize > MAX_PAGE_SIZE) throw badRequest(`Invalid page size: ${pageSize}; the maximum is ${MAX_PAGE_SIZE}`);
  const total = items.length;
  const filter = query.get('name');
  if (filter) {
    const re = query.get('use_regex') === 'true' ? safeRegex(filter) : undefined;
    items = items.filter((r) => {
      const name = typeof r.name === 'string' ? r.name : '';
      return re ? re.test(name) : name.includes(filter);
    });
  }
  const pageCount = Math.max(1, Math.ceil(items.length / pageSize));
  if (pageNo > pageCount) throw badRequest(`Page out of range, page: ${pageNo} page size: ${pageSize}, len: ${items.length}`);
  const slice = items.slice((pageNo - 1) * pageSize, pageNo * pageSize);
  return {
    status: 200,
    body: {
      filtered_count: items.length,
      item_count: slice.length,
      items: project(slice, query),
      page: pageNo,
      page_count: pageCount,
      page_size: pageSize,
      total_count: total,
    },
  };
}

/** `columns=name,messages,message_stats.publish`: keeps only those (dotted paths nest). */
function project(rows: Row[], query: URLSearchParams): Row[] {
  const columns = query.get('columns');
  if (!columns) return rows;
  const paths = columns.split(',').map((c) => c.trim()).filter((c) => c !== '').map((c) => c.split('.'));
  return rows.map((row) => {
    const out: Row = {};
    for (const path of paths) {
      const v = pick(row, path);
      if (v === undefined) continue;
      let target = out;
      for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Row;
      target[path[path.length - 1]!] = v;
    }
    return out;
  });
}

function pick(row: Row, path: readonly string[]): unknown {
  let v: unknown = row;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Row)[key];
  }
  return v;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = a === undefined || a === null ? '' : String(a);
  const sb = b === undefined || b === null ? '' : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function positiveInt(s: string, name: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) throw badRequest(`${name} must be a positive integer`);
  return Number(s);
}

function safeRegex(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    throw badRequest(`invalid regular expression: ${s}`);
  }
}
