// Turns a conversation's messages into the rows the chat view shows: a day
// separator whenever the day changes, and each message marked with whether
// it starts a run of messages from the same sender (only the first of a run
// shows the sender's name).

import type { Message } from './types';

/** Messages further apart than this start a new run even from the same sender. */
const RUN_GAP_SECONDS = 5 * 60;

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'message'; key: string; message: Message; firstOfRun: boolean; out: boolean };

function dayKey(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function dayLabel(seconds: number, locale?: string, now: Date = new Date()): string {
  const d = new Date(seconds * 1000);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(seconds) === dayKey(now.getTime() / 1000)) {
    return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(0, 'day');
  }
  if (dayKey(seconds) === dayKey(yesterday.getTime() / 1000)) {
    return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(-1, 'day');
  }
  return d.toLocaleDateString(locale, { year: 'numeric', month: 'long', day: 'numeric' });
}

/**
 * Rows already built, per message object: scrolling back rebuilds the rows of
 * the whole conversation for every page, and reusing unchanged rows keeps
 * that from producing garbage in proportion to the conversation's length.
 * A row is reused only if the message before it (which decides
 * `firstOfRun`) and the signed-in user are the same.
 */
const built = new WeakMap<Message, { after: Message | null; me: string; row: Row }>();

export function buildRows(messages: Message[], me: string, locale?: string, now?: Date): Row[] {
  const rows: Row[] = [];
  let lastDay = '';
  let last: Message | null = null;
  for (const m of messages) {
    const day = dayKey(m.time);
    if (day !== lastDay) {
      rows.push({ kind: 'day', key: `day:${day}`, label: dayLabel(m.time, locale, now) });
      lastDay = day;
      last = null;
    }
    const cached = built.get(m);
    if (cached && cached.after === last && cached.me === me) {
      rows.push(cached.row);
    } else {
      const firstOfRun = last === null || last.from !== m.from || m.time - last.time > RUN_GAP_SECONDS;
      const row: Row = { kind: 'message', key: m.ID, message: m, firstOfRun, out: m.from === me };
      built.set(m, { after: last, me, row });
      rows.push(row);
    }
    last = m;
  }
  return rows;
}
