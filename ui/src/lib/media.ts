// Media in messages: which picture to show for a message and at what size,
// and the `natter-media:` URLs the app serves them under (the page's CSP
// allows no remote origin: the app fetches media from the server for it).

import type { Message } from './types';

const SCHEME = 'natter-media://localhost';

/** A media URL of a message, as the page may load it. */
export function mediaSrc(url: string): string {
  return `${SCHEME}/remote?url=${encodeURIComponent(url)}`;
}

/** The local preview of a media message not sent yet. */
export function previewSrc(messageId: string): string {
  return `${SCHEME}/preview/${encodeURIComponent(messageId)}`;
}

/** A recorded voice note not sent yet (its preview). */
export function recordingSrc(id: string): string {
  return `${SCHEME}/recording/${encodeURIComponent(id)}`;
}

/** The file an unsent media message was made from. */
export function localSrc(messageId: string): string {
  return `${SCHEME}/local/${encodeURIComponent(messageId)}`;
}

export interface ImageSize {
  url: string;
  width: number;
  height: number;
}

/** The Web SDK's `imageInfoArray`: original, thumbnail (198), large (720). */
function imageInfos(m: Message): ImageSize[] {
  const infos = m.payload['imageInfoArray'];
  if (!Array.isArray(infos)) return [];
  return infos.map((i) => ({
    url: typeof i?.url === 'string' ? i.url : '',
    width: Number(i?.width) || 0,
    height: Number(i?.height) || 0,
  }));
}

/** Bubbles show pictures at most this wide and tall (CSS px). */
export const BUBBLE_MAX = { width: 260, height: 260 };

/** The box a picture of `width` × `height` takes in a bubble: known before it loads, so nothing jumps. */
export function bubbleSize(width: number, height: number): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: 160, height: 120 };
  const scale = Math.min(1, BUBBLE_MAX.width / width, BUBBLE_MAX.height / height);
  return { width: Math.max(40, Math.round(width * scale)), height: Math.max(40, Math.round(height * scale)) };
}

/** What an image bubble shows, and what the viewer opens. */
export function imageOf(m: Message): { thumb: string; large: string; original: string; width: number; height: number } {
  const [original, thumb, large] = imageInfos(m);
  const width = original?.width ?? 0;
  const height = original?.height ?? 0;
  if (!original?.url) {
    return { thumb: previewSrc(m.ID), large: localSrc(m.ID), original: localSrc(m.ID), width, height };
  }
  return {
    thumb: mediaSrc(thumb?.url || original.url),
    large: mediaSrc(large?.url || original.url),
    original: mediaSrc(original.url),
    width,
    height,
  };
}

/** What a video bubble shows. */
export function videoOf(m: Message): { poster: string; src: string; width: number; height: number; seconds: number } {
  const p = m.payload;
  const url = typeof p['videoUrl'] === 'string' ? p['videoUrl'] : '';
  const thumb = typeof p['thumbUrl'] === 'string' ? p['thumbUrl'] : '';
  return {
    poster: url ? (thumb ? mediaSrc(thumb) : '') : previewSrc(m.ID),
    src: url ? mediaSrc(url) : localSrc(m.ID),
    width: Number(p['thumbWidth']) || 0,
    height: Number(p['thumbHeight']) || 0,
    seconds: Number(p['videoSecond']) || 0,
  };
}

/** What a file bubble shows. */
export function fileOf(m: Message): { name: string; size: number; url: string } {
  const p = m.payload;
  return {
    name: typeof p['fileName'] === 'string' ? p['fileName'] : '',
    size: Number(p['fileSize']) || 0,
    url: typeof p['fileUrl'] === 'string' ? p['fileUrl'] : '',
  };
}

/** 1536 → "1.5 KB", in the units people read file sizes in. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** 75 → "1:15". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** What a sound (voice) bubble plays. */
export function soundOf(m: Message): { src: string; seconds: number; bytes: number } {
  const url = typeof m.payload['url'] === 'string' ? m.payload['url'] : '';
  return { src: url ? mediaSrc(url) : localSrc(m.ID), seconds: Number(m.payload['second']) || 0, bytes: Number(m.payload['size']) || 0 };
}

/**
 * The file behind a `natter-media:` URL as a `blob:` URL, for `<audio>` and
 * `<video>`: WebKitGTK's media player cannot read a custom scheme (it fails
 * with "source not supported"), but the page can fetch from it. Revoke it
 * with `URL.revokeObjectURL` when done.
 */
export async function blobSrc(src: string): Promise<string> {
  const response = await fetch(src);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return URL.createObjectURL(await response.blob());
}
