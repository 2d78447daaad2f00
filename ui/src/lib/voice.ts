// Voice messages on the page: one plays at a time, received ones are
// marked until played (remembered across launches), and waveforms are
// fetched once per file.

/** The `<audio>` element playing now, if any. */
let playing: HTMLAudioElement | null = null;

/** Plays `audio`, pausing whatever voice message played before. */
export function playExclusively(audio: HTMLAudioElement): Promise<void> {
  if (playing && playing !== audio) playing.pause();
  playing = audio;
  return audio.play();
}

/** Forgets `audio` as the one playing (it paused or ended). */
export function stoppedPlaying(audio: HTMLAudioElement) {
  if (playing === audio) playing = null;
}

const PLAYED_KEY = 'natter.playedVoice';
/** How many played message IDs are remembered (the oldest are forgotten). */
export const PLAYED_LIMIT = 2000;

function playedList(): string[] {
  try {
    const list: unknown = JSON.parse(globalThis.localStorage?.getItem(PLAYED_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Whether the voice message `id` was played here. */
export function wasPlayed(id: string): boolean {
  return playedList().includes(id);
}

export function markPlayed(id: string) {
  const list = playedList().filter((x) => x !== id);
  list.push(id);
  try {
    globalThis.localStorage?.setItem(PLAYED_KEY, JSON.stringify(list.slice(-PLAYED_LIMIT)));
  } catch {
    // Storage full or unavailable: the dot comes back after a restart, nothing worse.
  }
}

const waveforms = new Map<string, Promise<number[]>>();

/** The waveform of the file at `src`, fetched once (a failure is retried next time). */
export function waveformOf(src: string, fetch: (src: string) => Promise<number[]>): Promise<number[]> {
  let known = waveforms.get(src);
  if (!known) {
    known = fetch(src);
    waveforms.set(src, known);
    known.catch(() => waveforms.delete(src));
  }
  return known;
}

/** An SVG path of one bar per level (0–1), `width` × `height`, centred vertically. */
export function barsPath(levels: number[], width: number, height: number): string {
  if (levels.length === 0) return '';
  const step = width / levels.length;
  const bar = Math.max(1, step * 0.6);
  return levels
    .map((level, i) => {
      const h = Math.max(2, Math.min(1, Math.max(0, level)) * height);
      const x = i * step + (step - bar) / 2;
      const y = (height - h) / 2;
      return `M${x.toFixed(1)} ${y.toFixed(1)}h${bar.toFixed(1)}v${h.toFixed(1)}h${(-bar).toFixed(1)}z`;
    })
    .join('');
}
