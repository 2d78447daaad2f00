import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import VoiceRecorder from './VoiceRecorder.svelte';
import type { LiveRecording } from '../lib/chat.svelte';
import type { VoiceNote } from '../lib/types';

function note(durationMs: number, ended: string | null = null): VoiceNote {
  return { id: 'voice-1', durationMs, bytes: 1000, waveform: [0.2, 0.8, 0.4], ended };
}

function controls(stopped: VoiceNote) {
  return {
    start: vi.fn(async () => {}),
    stop: vi.fn(async () => stopped),
    discard: vi.fn(async () => {}),
    send: vi.fn(async (_id: string) => {}),
  };
}

function live(levels: number[], atMs: number, ended: string | null = null): LiveRecording {
  return { id: 'voice-1', levels, atMs, ended };
}

describe('VoiceRecorder', () => {
  it('click: records with a timer and a meter, stops into a preview, then sends', async () => {
    const c = controls(note(3400));
    const onBusy = vi.fn();
    const { rerender } = render(VoiceRecorder, { live: null, ...c, onBusy });
    await fireEvent.pointerDown(screen.getByTestId('record'), { button: 0 });
    await fireEvent.pointerUp(window);
    await waitFor(() => expect(screen.getByTestId('stop-recording')).toBeTruthy());
    expect(c.start).toHaveBeenCalledOnce();
    expect(onBusy).toHaveBeenLastCalledWith(true);

    await rerender({ live: live([0.1, 0.9, 0.5], 3400) });
    expect(screen.getByTestId('recording-time').textContent).toBe('0:03');
    expect(screen.getByTestId('level-meter').getAttribute('data-levels')).toBe('3');
    expect(screen.getByTestId('level-meter').querySelector('path')!.getAttribute('d')).toMatch(/^M/);

    await fireEvent.click(screen.getByTestId('stop-recording'));
    await waitFor(() => expect(screen.getByTestId('voice-preview')).toBeTruthy());
    // The preview plays the recording through the app's scheme.
    expect(screen.getByTestId('voice').dataset.src).toBe('natter-media://localhost/recording/voice-1');
    expect(c.send).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('send-recording'));
    expect(c.send).toHaveBeenCalledWith('voice-1');
    await waitFor(() => expect(screen.getByTestId('record')).toBeTruthy());
    expect(onBusy).toHaveBeenLastCalledWith(false);
  });

  it('hold to talk: releasing sends at once', async () => {
    vi.useFakeTimers();
    try {
      const c = controls(note(2100));
      render(VoiceRecorder, { live: null, ...c });
      await fireEvent.pointerDown(screen.getByTestId('record'), { button: 0 });
      await vi.advanceTimersByTimeAsync(400);
      await fireEvent.pointerUp(window);
      await vi.advanceTimersByTimeAsync(0);
      expect(c.stop).toHaveBeenCalledOnce();
      expect(c.send).toHaveBeenCalledWith('voice-1');
      expect(screen.queryByTestId('voice-preview')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a recording too short to mean anything is discarded with a hint', async () => {
    vi.useFakeTimers();
    try {
      const c = controls(note(200));
      render(VoiceRecorder, { live: null, ...c });
      await fireEvent.pointerDown(screen.getByTestId('record'), { button: 0 });
      await vi.advanceTimersByTimeAsync(400);
      await fireEvent.pointerUp(window);
      await vi.advanceTimersByTimeAsync(0);
      expect(c.discard).toHaveBeenCalledOnce();
      expect(c.send).not.toHaveBeenCalled();
      expect(screen.getByTestId('voice-notice').textContent).toMatch(/short|太短/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('Esc discards a recording', async () => {
    const c = controls(note(3000));
    render(VoiceRecorder, { live: null, ...c });
    await fireEvent.pointerDown(screen.getByTestId('record'), { button: 0 });
    await fireEvent.pointerUp(window);
    await waitFor(() => expect(screen.getByTestId('recording')).toBeTruthy());
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(c.discard).toHaveBeenCalledOnce();
    expect(c.stop).not.toHaveBeenCalled();
    expect(screen.getByTestId('record')).toBeTruthy();
  });

  it('no microphone: says so with the code, and stays ready', async () => {
    const c = controls(note(1000));
    c.start.mockRejectedValueOnce({ code: 2300, message: 'no input device to record from' });
    render(VoiceRecorder, { live: null, ...c });
    await fireEvent.pointerDown(screen.getByTestId('record'), { button: 0 });
    await waitFor(() => expect(screen.getByTestId('voice-notice').textContent).toContain('no input device to record from (2300)'));
    expect(screen.getByTestId('record')).toBeTruthy();
  });

  it('a lost microphone ends in the preview, keeping what was recorded', async () => {
    const c = controls(note(4200, 'Test microphone: device disconnected'));
    const { rerender } = render(VoiceRecorder, { live: null, ...c });
    await fireEvent.pointerDown(screen.getByTestId('record'), { button: 0 });
    await fireEvent.pointerUp(window);
    await waitFor(() => expect(screen.getByTestId('recording')).toBeTruthy());
    await rerender({ live: live([0.5], 4200, 'Test microphone: device disconnected') });
    await waitFor(() => expect(screen.getByTestId('voice-preview')).toBeTruthy());
    expect(c.stop).toHaveBeenCalledOnce();
    expect(screen.getByTestId('voice-notice').textContent).toContain('device disconnected');
    expect(c.send).not.toHaveBeenCalled();
  });
});
