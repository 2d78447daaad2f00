import { describe, expect, it } from 'vitest';
import { kickMessage, stringsFor, usableLocale } from './i18n';
import { initials } from './types';

describe('i18n', () => {
  it('picks Simplified Chinese for zh locales and English otherwise', () => {
    expect(stringsFor('zh-CN').send).toBe('发送');
    expect(stringsFor('en-US').send).toBe('Send');
    expect(stringsFor(undefined).send).toBe('Send');
  });

  it('says why the user was signed out, in words', () => {
    const en = stringsFor('en');
    expect(kickMessage('REST_API_Kick', en)).toBe('You were signed out by the server administrator');
    expect(kickMessage('multipleDevice', stringsFor('zh-CN'))).toBe('账号已在其他设备登录，您已下线');
    expect(kickMessage('userSigExpired', en)).toBe('Your sign-in has expired: please sign in again');
    expect(kickMessage('somethingNew', en)).toBe('You were signed out (somethingNew)');
  });

  it('has every English string in Chinese', () => {
    expect(Object.keys(stringsFor('zh-CN')).sort()).toEqual(Object.keys(stringsFor('en')).sort());
  });
});

describe('initials', () => {
  it('uses the first letters of words', () => {
    expect(initials('bob')).toBe('BO');
    expect(initials('Team room')).toBe('TR');
    expect(initials('')).toBe('?');
  });
});

describe('usableLocale', () => {
  it('keeps BCP 47 tags and drops POSIX names Intl rejects', () => {
    expect(usableLocale('zh-CN')).toBe('zh-CN');
    expect(usableLocale('en-us')).toBe('en-US');
    expect(usableLocale('C')).toBeUndefined();
    expect(usableLocale('en_US.UTF-8')).toBeUndefined();
    expect(usableLocale(undefined)).toBeUndefined();
  });
});
