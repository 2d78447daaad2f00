// The @ picker: finds the "@query" being typed at the caret, filters the
// group's members by it, and puts the chosen mention into the draft.

import type { GroupMember } from './types';

/** What the Web SDK puts in atUserList for @all. */
export const AT_ALL = '__kImSDK_MesssageAtALL__';

/** Whether a message @-mentions `me` (by name or @all). */
export function mentionsMe(m: { atUserList?: string[] }, me: string): boolean {
  return (m.atUserList ?? []).some((u) => u === me || u === AT_ALL);
}

export interface MentionQuery {
  /** Index of the '@' in the draft. */
  start: number;
  query: string;
}

/** The "@query" that ends at `caret`, if the user is typing one. */
export function mentionAt(draft: string, caret: number): MentionQuery | null {
  const before = draft.slice(0, caret);
  const match = before.match(/(^|\s)@([^\s@]*)$/);
  if (!match) return null;
  return { start: caret - match[2].length - 1, query: match[2] };
}

export interface Candidate {
  userID: string;
  label: string;
}

/** Members matching `query` (case-insensitive, prefix first), @all first when it matches. */
export function candidates(members: GroupMember[], me: string, query: string, allLabel: string): Candidate[] {
  const q = query.toLowerCase();
  const others = members.filter((m) => m.userID !== me && m.userID.toLowerCase().includes(q));
  others.sort((a, b) => {
    const pa = a.userID.toLowerCase().startsWith(q) ? 0 : 1;
    const pb = b.userID.toLowerCase().startsWith(q) ? 0 : 1;
    return pa - pb || a.userID.localeCompare(b.userID);
  });
  const list: Candidate[] = others.map((m) => ({ userID: m.userID, label: m.userID }));
  if (q === '' || allLabel.toLowerCase().startsWith(q) || 'all'.startsWith(q)) {
    list.unshift({ userID: AT_ALL, label: allLabel });
  }
  return list;
}

/** The draft with the "@query" replaced by "@label ", and the new caret. */
export function insertMention(draft: string, at: MentionQuery, label: string): { draft: string; caret: number } {
  const end = at.start + 1 + at.query.length;
  const text = `@${label} `;
  return { draft: draft.slice(0, at.start) + text + draft.slice(end), caret: at.start + text.length };
}

/** Who a finished draft mentions: chosen users whose "@label" is still in it. */
export function mentionedIn(draft: string, chosen: Candidate[]): string[] {
  const ids = chosen.filter((c) => draft.includes(`@${c.label}`)).map((c) => c.userID);
  return [...new Set(ids)];
}
