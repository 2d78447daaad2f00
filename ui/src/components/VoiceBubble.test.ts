import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import VoiceBubble from './VoiceBubble.svelte';
import { markPlayed, wasPlayed } from '../lib/voice';

// jsdom has no media playback: play/pause dispatch the events a browser would.
beforeEach(() => {
  localStorage.clear();
  // The app's scheme answers with the file; the bubble plays it as a blob.
  vi.stubGlobal('fetch', vi.fn(async () => new Response(new Blob(['audio bytes']))));
  URL.createObjectURL = vi.fn(() => 'blob:tauri://localhost/1');
  URL.revokeObjectURL = vi.fn();
  HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
    Object.defineProperty(this, 'paused', { value: false, configurable: true });
    this.dispatchEvent(new Event('play'));
    return Promise.resolve();
  };
  HTMLMediaElement.prototype.pause = function (this: HTMLMediaElement) {
    Object.defineProperty(this, 'paused', { value: true, configurable: true });
    this.dispatchEvent(new Event('pause'));
  };
});

describe('VoiceBubble', () => {
  it('draws the waveform it is given and fetches one only when it has none', async () => {
    const loadWaveform = vi.fn(async () => [0.1, 0.9]);
    render(VoiceBubble, { id: 'a', src: 'natter-media://localhost/remote?url=x', seconds: 7, loadWaveform });
    await waitFor(() => expect(loadWaveform).toHaveBeenCalledWith('natter-media://localhost/remote?url=x'));
    await waitFor(() => expect(screen.getByTestId('voice').querySelector('.wave path')!.getAttribute('d')).toMatch(/^M.*z.*z$/));
    expect(screen.getByText('0:07')).toBeTruthy();
  });

  it('plays one voice message at a time', async () => {
    render(VoiceBubble, { id: 'a', src: 'natter-media://localhost/remote?url=a', seconds: 3, waveform: [0.5] });
    render(VoiceBubble, { id: 'b', src: 'natter-media://localhost/remote?url=b', seconds: 4, waveform: [0.5] });
    const [first, second] = screen.getAllByTestId('voice');
    await fireEvent.click(first.querySelector('[data-testid="voice-play"]')!);
    await waitFor(() => expect(first.getAttribute('data-playing')).toBe('true'));
    await fireEvent.click(second.querySelector('[data-testid="voice-play"]')!);
    await waitFor(() => expect(second.getAttribute('data-playing')).toBe('true'));
    expect(first.getAttribute('data-playing')).toBe('false');
    // Pause.
    await fireEvent.click(second.querySelector('[data-testid="voice-play"]')!);
    await waitFor(() => expect(second.getAttribute('data-playing')).toBe('false'));
    // Each small file was fetched once, with its bubble, and played as a blob.
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(first.querySelector('audio')!.getAttribute('src')).toBe('blob:tauri://localhost/1');
  });

  it('marks a received message until it is played, and remembers it was', async () => {
    markPlayed('old');
    render(VoiceBubble, { id: 'old', src: 's1', seconds: 1, waveform: [], incoming: true });
    render(VoiceBubble, { id: 'new', src: 's2', seconds: 1, waveform: [], incoming: true });
    render(VoiceBubble, { id: 'mine', src: 's3', seconds: 1, waveform: [], incoming: false });
    expect(screen.getAllByTestId('unplayed')).toHaveLength(1);
    const fresh = screen.getAllByTestId('voice')[1];
    await fireEvent.click(fresh.querySelector('[data-testid="voice-play"]')!);
    await waitFor(() => expect(screen.queryAllByTestId('unplayed')).toHaveLength(0));
    expect(wasPlayed('new')).toBe(true);
  });

  it('fetches a large file only when it is played', async () => {
    render(VoiceBubble, { id: 'big', src: 'natter-media://localhost/remote?url=big', seconds: 600, bytes: 20_000_000, waveform: [] });
    await Promise.resolve();
    expect(fetch).not.toHaveBeenCalled();
    const bubble = screen.getByTestId('voice');
    await fireEvent.click(bubble.querySelector('[data-testid="voice-play"]')!);
    await waitFor(() => expect(bubble.getAttribute('data-playing')).toBe('true'));
    expect(fetch).toHaveBeenCalledWith('natter-media://localhost/remote?url=big');
  });

  it('loads the server copy once a sent message moves off its local file', async () => {
    const loadWaveform = vi.fn(async (src: string) => (src.includes('remote') ? [0.7] : Promise.reject(new Error('gone'))));
    const { rerender } = render(VoiceBubble, { id: 'm', src: 'natter-media://localhost/local/m', seconds: 2, loadWaveform });
    await waitFor(() => expect(fetch).toHaveBeenCalledWith('natter-media://localhost/local/m'));
    await rerender({ src: 'natter-media://localhost/remote?url=sent' });
    await waitFor(() => expect(fetch).toHaveBeenCalledWith('natter-media://localhost/remote?url=sent'));
    expect(screen.getByTestId('voice').dataset.src).toBe('natter-media://localhost/remote?url=sent');
    // The waveform too, when the local copy was already gone.
    await waitFor(() => expect(screen.getByTestId('voice').querySelector('.wave path')!.getAttribute('d')).toMatch(/^M/));
    expect(loadWaveform).toHaveBeenCalledWith('natter-media://localhost/remote?url=sent');
  });
});
