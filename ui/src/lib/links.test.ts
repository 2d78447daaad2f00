import { describe, expect, it } from 'vitest';
import { segments } from './links';

describe('segments', () => {
  it('finds links and leaves sentence punctuation outside', () => {
    expect(segments('see https://natter.chat/docs?a=1, then www.example.com.')).toEqual([
      { text: 'see ' },
      { text: 'https://natter.chat/docs?a=1', href: 'https://natter.chat/docs?a=1' },
      { text: ', then ' },
      { text: 'www.example.com', href: 'https://www.example.com' },
      { text: '.' },
    ]);
  });

  it('leaves text without links whole and never makes javascript: links', () => {
    expect(segments('plain <b>text</b>')).toEqual([{ text: 'plain <b>text</b>' }]);
    expect(segments('javascript:alert(1)')).toEqual([{ text: 'javascript:alert(1)' }]);
    expect(segments('（https://例子.cn/路径）')).toEqual([
      { text: '（' },
      { text: 'https://例子.cn/路径', href: 'https://例子.cn/路径' },
      { text: '）' },
    ]);
  });
});
