// Date and time formatting with formatters made once per locale and style.
// `toLocaleTimeString` and friends build a new ICU formatter on every call:
// native memory the JavaScript GC does not see, freed only when it gets
// round to the wrapper. Formatting every visible row on every history page
// that way grew the web process by ~150 MiB over 10,000 messages.

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();

function dateTimeFormat(locale: string | undefined, style: 'time' | 'date' | 'longDate'): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${style}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions =
      style === 'time' ? { hour: '2-digit', minute: '2-digit' }
      : style === 'longDate' ? { year: 'numeric', month: 'long', day: 'numeric' }
      : {};
    format = new Intl.DateTimeFormat(locale, options);
    dateTimeFormats.set(key, format);
  }
  return format;
}

/** Hours and minutes, e.g. "09:41" or "9:41 AM". */
export function formatTime(seconds: number, locale?: string): string {
  return dateTimeFormat(locale, 'time').format(seconds * 1000);
}

/** A short date, e.g. "11/27/2026". */
export function formatDate(seconds: number, locale?: string): string {
  return dateTimeFormat(locale, 'date').format(seconds * 1000);
}

/** A date in words, e.g. "November 27, 2026". */
export function formatLongDate(seconds: number, locale?: string): string {
  return dateTimeFormat(locale, 'longDate').format(seconds * 1000);
}

/** "today", "yesterday", ... for a whole number of days from today. */
export function formatRelativeDay(days: number, locale?: string): string {
  const key = locale ?? '';
  let format = relativeFormats.get(key);
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    relativeFormats.set(key, format);
  }
  return format.format(days, 'day');
}
