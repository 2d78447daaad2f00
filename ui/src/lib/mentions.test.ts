import { describe, expect, it } from 'vitest';
import { AT_ALL, candidates, insertMention, mentionAt, mentionedIn, mentionsMe } from './mentions';

const members = [
  { userID: 'alice', role: 'Owner' },
  { userID: 'bob', role: 'Member' },
  { userID: 'bobby', role: 'Member' },
  { userID: 'carol', role: 'Member' },
];

describe('mentions', () => {
  it('finds the @query at the caret only at a word start', () => {
    expect(mentionAt('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail a@b', 8)).toBeNull();
    expect(mentionAt('hi @bo there', 12)).toBeNull();
  });

  it('lists matching members without me, @all first', () => {
    expect(candidates(members, 'alice', '', 'all').map((c) => c.userID)).toEqual([AT_ALL, 'bob', 'bobby', 'carol']);
    expect(candidates(members, 'alice', 'BO', 'all').map((c) => c.userID)).toEqual(['bob', 'bobby']);
    expect(candidates(members, 'alice', 'ro', 'all').map((c) => c.userID)).toEqual(['carol']);
  });

  it('inserts the mention and reports who is still mentioned', () => {
    const at = mentionAt('hey @bo', 7)!;
    const { draft, caret } = insertMention('hey @bo', at, 'bob');
    expect(draft).toBe('hey @bob ');
    expect(caret).toBe(9);
    const chosen = [{ userID: 'bob', label: 'bob' }, { userID: 'carol', label: 'carol' }, { userID: AT_ALL, label: 'all' }];
    expect(mentionedIn('hey @bob and @all', chosen)).toEqual(['bob', AT_ALL]);
    expect(mentionsMe({ atUserList: [AT_ALL] }, 'me')).toBe(true);
    expect(mentionsMe({ atUserList: ['bob'] }, 'me')).toBe(false);
  });
});
