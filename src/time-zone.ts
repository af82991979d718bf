// Wall-clock times in IANA zones, computed with Intl only (the zone data ships with Node).
// A post is stored as a UTC instant plus the zone the person chose; the conversion from what
// they typed is explicit about the two DST cases: a time that does not exist (spring forward)
// and a time that happens twice (fall back).

export interface LocalTime {
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM (24 h) */
  time: string;
  /** 0 = Monday … 6 = Sunday */
  weekday: number;
  /** Minutes east of UTC at that instant. */
  offsetMinutes: number;
}

export type ZonedResult =
  | { kind: 'ok'; at: number }
  /** Clocks jump over this time; `after` is the same moment read after the jump (e.g. 03:30). */
  | { kind: 'gap'; after: LocalTime }
  /** The time happens twice; both instants, earlier first. */
  | { kind: 'ambiguous'; earlier: number; later: number };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isTimeZone(zone: string): boolean {
  return canonicalZone(zone) !== undefined;
}

/**
 * The zone's name as this Node's ICU spells it ("europe/berlin" → "Europe/Berlin", and on older
 * ICU "Asia/Kolkata" → "Asia/Calcutta"), so a stored zone always matches an entry of timeZones().
 */
export function canonicalZone(zone: string): string | undefined {
  if (!zone || zone.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Every zone Node knows, for the pickers; UTC first. */
export function timeZones(): string[] {
  const zones = Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC');
  return ['UTC', ...zones];
}

/** The picker's zones, with `current` added when it is a valid name the list lacks. */
export function zoneChoices(current: string): string[] {
  const zones = timeZones();
  const canonical = canonicalZone(current);
  return canonical && !zones.includes(canonical) ? [canonical, ...zones] : zones;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const pad = (n: number) => String(n).padStart(2, '0');

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

function parts(at: number, zone: string): Parts {
  const out: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(at))) out[p.type] = p.value;
  return {
    year: Number(out['year']),
    month: Number(out['month']),
    day: Number(out['day']),
    hour: Number(out['hour']),
    minute: Number(out['minute']),
    second: Number(out['second']),
    weekday: WEEKDAYS.indexOf(out['weekday'] ?? ''),
  };
}

function offsetMinutes(at: number, zone: string): number {
  const p = parts(at, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(at / 1000) * 1000) / 60_000);
}

const weekdayHourFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Weekday (0 = Monday) and hour in the zone: what the best-time heatmap needs, from one short
 * format call (toLocal does two full ones).
 */
export function weekdayHour(at: number, zone: string): { weekday: number; hour: number } {
  let f = weekdayHourFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', hourCycle: 'h23' });
    weekdayHourFormatters.set(zone, f);
  }
  let weekday = -1;
  let hour = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === 'weekday') weekday = WEEKDAYS.indexOf(p.value);
    else if (p.type === 'hour') hour = Number(p.value) % 24;
  }
  return { weekday, hour };
}

export function toLocal(at: number, zone: string): LocalTime {
  const p = parts(at, zone);
  return {
    date: `${p.year}-${pad(p.month)}-${pad(p.day)}`,
    time: `${pad(p.hour)}:${pad(p.minute)}`,
    weekday: p.weekday,
    offsetMinutes: offsetMinutes(at, zone),
  };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})$/;

/** Parses YYYY-MM-DD and HH:MM strictly (no 24:00, no 31 February); undefined when malformed. */
export function parseWallClock(date: string, time: string): number | undefined {
  const d = DATE.exec(date);
  const t = TIME.exec(time);
  if (!d || !t) return undefined;
  const [year, month, day, hour, minute] = [d[1], d[2], d[3], t[1], t[2]].map(Number) as [number, number, number, number, number];
  if (hour > 23 || minute > 59 || month < 1 || month > 12 || year < 1970 || year > 9999) return undefined;
  const naive = Date.UTC(year, month - 1, day, hour, minute);
  const back = new Date(naive);
  if (back.getUTCDate() !== day || back.getUTCMonth() !== month - 1) return undefined;
  return naive;
}

/** The instant(s) at which the wall clock in `zone` shows `date time`. */
export function fromLocal(date: string, time: string, zone: string): ZonedResult | undefined {
  const naive = parseWallClock(date, time);
  if (naive === undefined) return undefined;
  // The offsets in force a day either side cover any single transition near this time.
  const offsets = new Set([offsetMinutes(naive - 86_400_000, zone), offsetMinutes(naive, zone), offsetMinutes(naive + 86_400_000, zone)]);
  const matches = [...offsets]
    .map((offset) => naive - offset * 60_000)
    .filter((at) => {
      const local = toLocal(at, zone);
      return local.date === date && local.time === time;
    })
    .sort((a, b) => a - b);
  const unique = [...new Set(matches)];
  if (unique.length === 1) return { kind: 'ok', at: unique[0] as number };
  if (unique.length >= 2) return { kind: 'ambiguous', earlier: unique[0] as number, later: unique[unique.length - 1] as number };
  // In a gap: read the naive time with the offset from before the jump, which lands after it.
  const before = offsetMinutes(naive - 86_400_000, zone);
  return { kind: 'gap', after: toLocal(naive - before * 60_000, zone) };
}

/** "UTC+05:00" style label for an offset. */
export function offsetLabel(minutes: number): string {
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
