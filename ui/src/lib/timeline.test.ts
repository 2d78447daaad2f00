import { describe, expect, it } from 'vitest';
import { buildRows } from './timeline';
import type { Message } from './types';

function msg(id: string, from: string, time: number): Message {
  return {
    ID: id, type: 'TIMTextElem', payload: { text: id }, conversationID: 'GROUPg',
    from, flow: from === 'me' ? 'out' : 'in', time, status: 'success', atUserList: [], nick: '',
  };
}

describe('buildRows', () => {
  const day1 = new Date(2026, 10, 20, 9, 0).getTime() / 1000;
  const day2 = new Date(2026, 10, 21, 9, 0).getTime() / 1000;

  it('separates days and groups runs of one sender', () => {
    const rows = buildRows(
      [msg('a', 'bob', day1), msg('b', 'bob', day1 + 30), msg('c', 'me', day1 + 60), msg('d', 'bob', day1 + 90),
        msg('e', 'bob', day1 + 90 + 6 * 60), msg('f', 'bob', day2)],
      'me',
      'en',
      new Date(2026, 10, 27),
    );
    expect(rows.map((r) => (r.kind === 'day' ? `day:${r.label}` : `${r.key}${r.firstOfRun ? '*' : ''}`))).toEqual([
      'day:November 20, 2026', 'a*', 'b', 'c*', 'd*', 'e*', 'day:November 21, 2026', 'f*',
    ]);
    const own = rows.find((r) => r.key === 'c');
    expect(own?.kind === 'message' && own.out).toBe(true);
  });

  it('names today and yesterday', () => {
    const now = new Date(2026, 10, 21, 12, 0);
    const rows = buildRows([msg('a', 'bob', day1), msg('b', 'bob', day2)], 'me', 'en', now);
    expect(rows.filter((r) => r.kind === 'day').map((r) => (r.kind === 'day' ? r.label : ''))).toEqual(['yesterday', 'today']);
  });
});

describe('buildRows reuse', () => {
  it('reuses rows whose neighbours did not change, and rebuilds those whose did', () => {
    const t0 = new Date(2026, 10, 20, 9, 0).getTime() / 1000;
    const b = msg('b', 'bob', t0 + 10);
    const c = msg('c', 'bob', t0 + 20);
    const first = buildRows([b, c], 'me', 'en');
    const a = msg('a', 'carol', t0);
    const second = buildRows([a, b, c], 'me', 'en');
    const row = (rows: ReturnType<typeof buildRows>, key: string) => rows.find((r) => r.key === key);
    expect(row(second, 'c')).toBe(row(first, 'c'));
    expect(row(second, 'b')).not.toBe(row(first, 'b'));
    const bRow = row(second, 'b');
    expect(bRow?.kind === 'message' && bRow.firstOfRun).toBe(true);
  });
});
