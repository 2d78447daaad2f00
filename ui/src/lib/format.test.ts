import { describe, expect, it, vi } from 'vitest';
import { formatDate, formatLongDate, formatRelativeDay, formatTime } from './format';

describe('format', () => {
  const noon = new Date(2026, 10, 27, 12, 5).getTime() / 1000;

  it('formats as the locale does', () => {
    expect(formatTime(noon, 'en-US')).toBe(new Date(noon * 1000).toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' }));
    expect(formatDate(noon, 'en-US')).toBe('11/27/2026');
    expect(formatLongDate(noon, 'en-US')).toBe('November 27, 2026');
    expect(formatLongDate(noon, 'zh-CN')).toBe('2026年11月27日');
  });

  it('says today and yesterday in words', () => {
    expect(formatRelativeDay(0, 'en')).toBe('today');
    expect(formatRelativeDay(-1, 'en')).toBe('yesterday');
    expect(formatRelativeDay(0, 'zh-CN')).toBe('今天');
  });

  it('makes one formatter per locale and style', () => {
    const made = vi.spyOn(Intl, 'DateTimeFormat');
    formatLongDate(noon, 'fr-FR');
    formatLongDate(noon + 86_400, 'fr-FR');
    formatTime(noon, 'fr-FR');
    formatTime(noon, 'fr-FR');
    expect(made).toHaveBeenCalledTimes(2);
    made.mockRestore();
  });
});
