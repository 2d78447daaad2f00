import { describe, expect, it } from 'vitest';
import { bubbleSize, fileOf, formatBytes, formatDuration, imageOf, mediaSrc, previewSrc, videoOf } from './media';
import type { Message } from './types';

function message(type: string, payload: Record<string, unknown>): Message {
  return { ID: 'm1', type, payload, conversationID: 'C2Cbob', from: 'alice', nick: '', flow: 'out', time: 0, status: 'success', atUserList: [] };
}

describe('media', () => {
  it('serves remote media through the app scheme, URL-encoded', () => {
    expect(mediaSrc('http://h:1/media/k.png?token=a&imageView2/3/w/198/h/198')).toBe(
      'natter-media://localhost/remote?url=http%3A%2F%2Fh%3A1%2Fmedia%2Fk.png%3Ftoken%3Da%26imageView2%2F3%2Fw%2F198%2Fh%2F198',
    );
  });

  it('shows the thumbnail in the bubble and opens the large image', () => {
    const m = message('TIMImageElem', {
      imageInfoArray: [
        { url: 'http://h/o', width: 4000, height: 3000 },
        { url: 'http://h/t', width: 264, height: 198 },
        { url: 'http://h/l', width: 960, height: 720 },
      ],
    });
    const image = imageOf(m);
    expect(image.thumb).toBe(mediaSrc('http://h/t'));
    expect(image.large).toBe(mediaSrc('http://h/l'));
    expect(image.original).toBe(mediaSrc('http://h/o'));
    expect([image.width, image.height]).toEqual([4000, 3000]);
  });

  it('an unsent image shows its local preview', () => {
    const m = message('TIMImageElem', { imageInfoArray: [{ url: '', width: 10, height: 10 }] });
    expect(imageOf(m).thumb).toBe(previewSrc('m1'));
  });

  it('sizes bubbles from the image size, so nothing jumps when it loads', () => {
    expect(bubbleSize(4000, 3000)).toEqual({ width: 260, height: 195 });
    expect(bubbleSize(1000, 4000)).toEqual({ width: 65, height: 260 });
    expect(bubbleSize(100, 50)).toEqual({ width: 100, height: 50 });
    expect(bubbleSize(0, 0)).toEqual({ width: 160, height: 120 });
    expect(bubbleSize(5000, 10)).toEqual({ width: 260, height: 40 });
  });

  it('reads video and file payloads', () => {
    const v = videoOf(message('TIMVideoFileElem', { videoUrl: 'http://h/v', thumbUrl: 'http://h/s', thumbWidth: 320, thumbHeight: 240, videoSecond: 75 }));
    expect(v).toEqual({ poster: mediaSrc('http://h/s'), src: mediaSrc('http://h/v'), width: 320, height: 240, seconds: 75 });
    const f = fileOf(message('TIMFileElem', { fileName: 'a.pdf', fileSize: 2048, fileUrl: 'http://h/f' }));
    expect(f).toEqual({ name: 'a.pdf', size: 2048, url: 'http://h/f' });
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(0)).toBe('0:00');
  });
});
