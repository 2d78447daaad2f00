import { render, screen, fireEvent } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import MediaBubble from './MediaBubble.svelte';
import type { Message } from '../lib/types';

function message(type: string, payload: Record<string, unknown>, status: Message['status'] = 'success'): Message {
  return { ID: 'm1', type, payload, conversationID: 'C2Cbob', from: 'alice', nick: '', flow: 'out', time: 0, status, atUserList: [] };
}

const image = message('TIMImageElem', {
  imageInfoArray: [
    { url: 'http://h/media/o.png?token=t', width: 4000, height: 3000 },
    { url: 'http://h/media/o.png?token=t&imageView2/3/w/198/h/198', width: 264, height: 198 },
    { url: 'http://h/media/o.png?token=t&imageView2/3/w/720/h/720', width: 960, height: 720 },
  ],
});

describe('MediaBubble', () => {
  it('gives an image its final size before it loads, from the app scheme', () => {
    const onOpenImage = vi.fn();
    render(MediaBubble, { message: image, onOpenImage });
    const button = screen.getByTestId('image');
    expect(button.style.width).toBe('260px');
    expect(button.style.height).toBe('195px');
    const img = button.querySelector('img')!;
    expect(img.getAttribute('src')).toMatch(/^natter-media:\/\/localhost\/remote\?url=http%3A%2F%2Fh%2Fmedia%2Fo\.png/);
    expect(img.getAttribute('src')).toContain('w%2F198');
    fireEvent.click(button);
    expect(onOpenImage).toHaveBeenCalledWith(image);
  });

  it('shows an outgoing upload with its local preview, progress and cancel', async () => {
    const onCancel = vi.fn();
    const sending = message('TIMImageElem', { imageInfoArray: [{ url: '', width: 100, height: 50 }] }, 'unSend');
    render(MediaBubble, { message: sending, upload: 0.42, onCancel });
    expect(screen.getByTestId('image').querySelector('img')!.getAttribute('src')).toBe('natter-media://localhost/preview/m1');
    const bar = screen.getByTestId('upload-progress').querySelector('progress')!;
    expect(bar.value).toBe(42);
    await fireEvent.click(screen.getByRole('button', { name: /cancel|取消/i }));
    expect(onCancel).toHaveBeenCalledWith('m1');
  });

  it('plays a sent video from a blob of its file, fetched on the first play', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(new Blob(['video bytes']))));
    URL.createObjectURL = vi.fn(() => 'blob:tauri://localhost/v');
    URL.revokeObjectURL = vi.fn();
    render(MediaBubble, {
      message: message('TIMVideoFileElem', { videoUrl: 'http://h/media/v.mp4', thumbUrl: 'http://h/media/s.jpg', thumbWidth: 320, thumbHeight: 240, videoSecond: 65 }),
    });
    expect(screen.queryByTestId('video')).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
    expect(screen.getByText('1:05')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('video-play'));
    const video = (await screen.findByTestId('video')) as HTMLVideoElement;
    expect(fetch).toHaveBeenCalledWith(expect.stringContaining('remote?url=http%3A%2F%2Fh%2Fmedia%2Fv.mp4'));
    expect(video.getAttribute('src')).toBe('blob:tauri://localhost/v');
    expect(video.getAttribute('poster')).toContain('s.jpg');
    expect(video.hasAttribute('controls')).toBe(true);
    vi.unstubAllGlobals();
  });

  it('offers a file for download, then shows it in its folder', async () => {
    const onDownload = vi.fn();
    const onShowInFolder = vi.fn();
    const file = message('TIMFileElem', { fileName: '<b>report</b>.pdf', fileSize: 2048, fileUrl: 'http://h/media/f.pdf' });
    const { rerender } = render(MediaBubble, { message: file, onDownload, onShowInFolder });
    // The name is text, never HTML.
    expect(screen.getByText('<b>report</b>.pdf')).toBeTruthy();
    expect(screen.getByText('2.0 KB')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('download'));
    expect(onDownload).toHaveBeenCalledWith(file);
    await rerender({ message: file, onDownload, onShowInFolder, download: { progress: 0.5, path: null } });
    expect((screen.getByRole('progressbar') as HTMLProgressElement).value).toBe(0.5);
    await rerender({ message: file, onDownload, onShowInFolder, download: { progress: 1, path: '/home/u/Downloads/report.pdf' } });
    await fireEvent.click(screen.getByRole('button', { name: /folder|文件夹/ }));
    expect(onShowInFolder).toHaveBeenCalledWith('/home/u/Downloads/report.pdf');
  });

  it('plays a voice message from the app scheme and shows its length', () => {
    render(MediaBubble, { message: message('TIMSoundElem', { url: 'http://h/media/v.m4a?token=t', second: 7 }) });
    const voice = screen.getByTestId('voice');
    expect(voice.dataset.src).toContain('remote?url=http%3A%2F%2Fh%2Fmedia%2Fv.m4a');
    expect(screen.getByText('0:07')).toBeTruthy();
  });
});
