// Turns a conversation's messages into the rows the chat view shows: a day
// separator whenever the day changes, and each message marked with whether
// it starts a run of messages from the same sender (only the first of a run
// shows the sender's name).

import { formatLongDate, formatRelativeDay } from './format';
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
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(seconds) === dayKey(now.getTime() / 1000)) {
    return formatRelativeDay(0, locale);
  }
  if (dayKey(seconds) === dayKey(yesterday.getTime() / 1000)) {
    return formatRelativeDay(-1, locale);
  }
  return formatLongDate(seconds, locale);
}

/**
 * What was worked out per message object: scrolling back rebuilds the rows
 * of the whole conversation for every page, and a rebuild that allocates
 * nothing per unchanged message keeps the garbage (and the web process's
 * high-water mark) from growing with the conversation's length. A row is
 * reused only if the message before it (which decides `firstOfRun`) and
 * the signed-in user are the same.
 */
interface WorkedOut {
  day: string;
  /** The message before this one when `row` was built, and for whom. */
  after: Message | null;
  me: string;
  row: Row | null;
}
const workedOut = new WeakMap<Message, WorkedOut>();

function workedOutFor(m: Message): WorkedOut {
  let w = workedOut.get(m);
  if (!w) {
    w = { day: dayKey(m.time), after: null, me: '', row: null };
    workedOut.set(m, w);
  }
  return w;
}

/** Day separators, per day, locale and today (their labels say "today" and "yesterday"). */
const dayRows = new Map<string, Row>();

function dayRow(day: string, seconds: number, locale: string | undefined, now: Date | undefined): Row {
  const id = `${day}|${locale ?? ''}|${dayKey((now ?? new Date()).getTime() / 1000)}`;
  let row = dayRows.get(id);
  if (!row) {
    row = { kind: 'day', key: `day:${day}`, label: dayLabel(seconds, locale, now) };
    dayRows.set(id, row);
  }
  return row;
}

export function buildRows(messages: Message[], me: string, locale?: string, now?: Date): Row[] {
  const rows: Row[] = [];
  let lastDay = '';
  let last: Message | null = null;
  for (const m of messages) {
    const w = workedOutFor(m);
    const day = w.day;
    if (day !== lastDay) {
      rows.push(dayRow(day, m.time, locale, now));
      lastDay = day;
      last = null;
    }
    if (w.row && w.after === last && w.me === me) {
      rows.push(w.row);
    } else {
      const firstOfRun = last === null || last.from !== m.from || m.time - last.time > RUN_GAP_SECONDS;
      w.row = { kind: 'message', key: m.ID, message: m, firstOfRun, out: m.from === me };
      w.after = last;
      w.me = me;
      rows.push(w.row);
    }
    last = m;
  }
  return rows;
}
