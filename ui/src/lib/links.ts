// Splits message text into plain parts and links. The chat view renders
// both as text nodes (a link is an <a> whose content is text), so nothing a
// user types is ever interpreted as HTML.

export interface Segment {
  text: string;
  /** Set for links: what the system browser opens. */
  href?: string;
}

const LINK = /\b(?:https?:\/\/[^\s<>"]+|www\.[^\s<>"]+|mailto:[^\s<>"]+)/gi;
/** Punctuation that usually ends the sentence, not the link. */
const TRAILING = /[.,;:!?)\]}'"，。！？）】]+$/;

export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    let link = match[0];
    const trailing = link.match(TRAILING)?.[0] ?? '';
    link = link.slice(0, link.length - trailing.length);
    const start = match.index ?? 0;
    if (link.length === 0) continue;
    if (start > at) out.push({ text: text.slice(at, start) });
    const href = link.toLowerCase().startsWith('www.') ? `https://${link}` : link;
    out.push({ text: link, href });
    at = start + link.length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}
