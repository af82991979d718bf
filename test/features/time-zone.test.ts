// Wall-clock times in IANA zones: what a person types (a date, a time, a zone) to an instant and
// back, including the two DST cases (a time that does not exist, a time that happens twice).
import { expect } from 'chai';
import { fromLocal, isTimeZone, offsetLabel, parseWallClock, toLocal, type ZonedResult } from '../../src/time-zone.js';

const utc = (iso: string): number => Date.parse(iso);

/** The result with instants as ISO strings, so a failure reads as times. */
function readable(result: ZonedResult | undefined): unknown {
  if (!result) return result;
  if (result.kind === 'ok') return { kind: 'ok', at: new Date(result.at).toISOString() };
  if (result.kind === 'ambiguous') return { kind: 'ambiguous', earlier: new Date(result.earlier).toISOString(), later: new Date(result.later).toISOString() };
  return result;
}

describe('time zones', () => {
  describe('fromLocal', () => {
    it('reads an ordinary winter and summer time in Europe/Berlin with the offset in force that day', () => {
      expect(readable(fromLocal('2026-01-20', '09:00', 'Europe/Berlin'))).to.deep.equal({ kind: 'ok', at: '2026-01-20T08:00:00.000Z' });
      expect(readable(fromLocal('2026-07-20', '09:00', 'Europe/Berlin'))).to.deep.equal({ kind: 'ok', at: '2026-07-20T07:00:00.000Z' });
    });

    it('says 02:30 on 2026-03-29 does not exist in Europe/Berlin and offers 03:30, the same moment after the jump', () => {
      const result = fromLocal('2026-03-29', '02:30', 'Europe/Berlin');
      expect(result).to.deep.equal({ kind: 'gap', after: { date: '2026-03-29', time: '03:30', weekday: 6, offsetMinutes: 120 } });
    });

    it('treats the edges of the spring gap correctly: 01:59 and 03:00 exist, 02:00 does not', () => {
      expect(readable(fromLocal('2026-03-29', '01:59', 'Europe/Berlin'))).to.deep.equal({ kind: 'ok', at: '2026-03-29T00:59:00.000Z' });
      expect(fromLocal('2026-03-29', '02:00', 'Europe/Berlin')?.kind).to.equal('gap');
      expect(readable(fromLocal('2026-03-29', '03:00', 'Europe/Berlin'))).to.deep.equal({ kind: 'ok', at: '2026-03-29T01:00:00.000Z' });
    });

    it('gives both instants, one hour apart and earlier first, for 02:30 on 2026-10-25 in Europe/Berlin', () => {
      const result = fromLocal('2026-10-25', '02:30', 'Europe/Berlin');
      expect(readable(result)).to.deep.equal({ kind: 'ambiguous', earlier: '2026-10-25T00:30:00.000Z', later: '2026-10-25T01:30:00.000Z' });
      if (result?.kind !== 'ambiguous') throw new Error('ambiguous expected');
      expect(result.later - result.earlier).to.equal(3_600_000);
    });

    it('treats the edges of the autumn overlap correctly: 01:59 and 03:00 happen once, 02:00 twice', () => {
      expect(fromLocal('2026-10-25', '01:59', 'Europe/Berlin')?.kind).to.equal('ok');
      expect(fromLocal('2026-10-25', '02:00', 'Europe/Berlin')?.kind).to.equal('ambiguous');
      expect(readable(fromLocal('2026-10-25', '03:00', 'Europe/Berlin'))).to.deep.equal({ kind: 'ok', at: '2026-10-25T02:00:00.000Z' });
    });

    it('knows America/New_York springs forward on 2026-03-08 (02:30 → 03:30) and falls back on 2026-11-01 (01:30 twice)', () => {
      expect(fromLocal('2026-03-08', '02:30', 'America/New_York')).to.deep.equal({ kind: 'gap', after: { date: '2026-03-08', time: '03:30', weekday: 6, offsetMinutes: -240 } });
      expect(readable(fromLocal('2026-03-08', '01:30', 'America/New_York'))).to.deep.equal({ kind: 'ok', at: '2026-03-08T06:30:00.000Z' });
      expect(readable(fromLocal('2026-03-08', '03:30', 'America/New_York'))).to.deep.equal({ kind: 'ok', at: '2026-03-08T07:30:00.000Z' });
      expect(readable(fromLocal('2026-11-01', '01:30', 'America/New_York'))).to.deep.equal({ kind: 'ambiguous', earlier: '2026-11-01T05:30:00.000Z', later: '2026-11-01T06:30:00.000Z' });
    });

    it('has no gap or overlap in Asia/Almaty (UTC+05:00 all year), even on the nights Europe changes its clocks', () => {
      for (const [date, time] of [
        ['2026-01-15', '09:00'],
        ['2026-03-29', '02:30'],
        ['2026-07-15', '09:00'],
        ['2026-10-25', '02:30'],
      ] as const) {
        const result = fromLocal(date, time, 'Asia/Almaty');
        expect(result?.kind, `${date} ${time}`).to.equal('ok');
        if (result?.kind === 'ok') expect(toLocal(result.at, 'Asia/Almaty').offsetMinutes).to.equal(300);
      }
      expect(readable(fromLocal('2026-07-15', '09:00', 'Asia/Almaty'))).to.deep.equal({ kind: 'ok', at: '2026-07-15T04:00:00.000Z' });
    });

    it('handles a half-hour shift (Australia/Lord_Howe): the gap and the overlap are 30 minutes', () => {
      expect(fromLocal('2026-10-04', '02:15', 'Australia/Lord_Howe')).to.deep.include({ kind: 'gap' });
      const overlap = fromLocal('2026-04-05', '01:45', 'Australia/Lord_Howe');
      if (overlap?.kind !== 'ambiguous') throw new Error('ambiguous expected');
      expect(overlap.later - overlap.earlier).to.equal(30 * 60_000);
    });

    it('is undefined for dates and times that do not exist on any calendar', () => {
      for (const [date, time] of [
        ['2026-02-30', '10:00'],
        ['2026-02-29', '10:00'],
        ['2026-04-31', '10:00'],
        ['2026-13-01', '10:00'],
        ['2026-00-10', '10:00'],
        ['2026-01-15', '24:00'],
        ['2026-01-15', '12:60'],
        ['2026-1-15', '10:00'],
        ['2026-01-15', '9:00'],
        ['15.01.2026', '10:00'],
        ['2026-01-15', '10:00:00'],
        ['', ''],
      ] as const) {
        expect(fromLocal(date, time, 'Europe/Berlin'), `${date} ${time}`).to.equal(undefined);
      }
    });
  });

  describe('parseWallClock', () => {
    it('reads YYYY-MM-DD and HH:MM as a naive UTC timestamp', () => {
      expect(parseWallClock('2026-01-15', '09:05')).to.equal(utc('2026-01-15T09:05:00Z'));
      expect(parseWallClock('2026-12-31', '23:59')).to.equal(utc('2026-12-31T23:59:00Z'));
      expect(parseWallClock('2026-01-01', '00:00')).to.equal(utc('2026-01-01T00:00:00Z'));
    });

    it('accepts 29 February only in leap years', () => {
      expect(parseWallClock('2028-02-29', '10:00')).to.equal(utc('2028-02-29T10:00:00Z'));
      expect(parseWallClock('2026-02-29', '10:00')).to.equal(undefined);
    });

    it('refuses 31 February, 24:00, minute 60 and loose formats', () => {
      expect(parseWallClock('2026-02-30', '10:00')).to.equal(undefined);
      expect(parseWallClock('2026-02-31', '10:00')).to.equal(undefined);
      expect(parseWallClock('2026-01-15', '24:00')).to.equal(undefined);
      expect(parseWallClock('2026-01-15', '23:60')).to.equal(undefined);
      expect(parseWallClock('2026-01-15 ', '10:00')).to.equal(undefined);
      expect(parseWallClock('2026-01-15', '10h00')).to.equal(undefined);
      expect(parseWallClock('garbage', '10:00')).to.equal(undefined);
    });
  });

  describe('toLocal', () => {
    it('shows an instant as the date, time, weekday (Monday = 0) and offset of the zone', () => {
      const at = utc('2026-01-15T12:00:00Z'); // a Thursday
      expect(toLocal(at, 'UTC')).to.deep.equal({ date: '2026-01-15', time: '12:00', weekday: 3, offsetMinutes: 0 });
      expect(toLocal(at, 'Asia/Almaty')).to.deep.equal({ date: '2026-01-15', time: '17:00', weekday: 3, offsetMinutes: 300 });
      expect(toLocal(at, 'America/New_York')).to.deep.equal({ date: '2026-01-15', time: '07:00', weekday: 3, offsetMinutes: -300 });
      expect(toLocal(at, 'Asia/Kolkata')).to.deep.equal({ date: '2026-01-15', time: '17:30', weekday: 3, offsetMinutes: 330 });
      expect(toLocal(utc('2026-01-15T20:00:00Z'), 'Pacific/Auckland')).to.deep.include({ date: '2026-01-16', time: '09:00', weekday: 4 });
    });

    it('shows the two 02:30s of the Berlin autumn night with their different offsets', () => {
      expect(toLocal(utc('2026-10-25T00:30:00Z'), 'Europe/Berlin')).to.deep.equal({ date: '2026-10-25', time: '02:30', weekday: 6, offsetMinutes: 120 });
      expect(toLocal(utc('2026-10-25T01:30:00Z'), 'Europe/Berlin')).to.deep.equal({ date: '2026-10-25', time: '02:30', weekday: 6, offsetMinutes: 60 });
    });

    it('jumps from 01:59 to 03:00 on the Berlin spring night', () => {
      expect(toLocal(utc('2026-03-29T00:59:00Z'), 'Europe/Berlin').time).to.equal('01:59');
      expect(toLocal(utc('2026-03-29T01:00:00Z'), 'Europe/Berlin').time).to.equal('03:00');
    });

    it('round-trips with fromLocal through 2026 in Europe/Berlin, every 15 minutes around both DST nights', () => {
      const instants: number[] = [];
      for (let at = utc('2026-01-01T00:00:00Z'); at < utc('2027-01-01T00:00:00Z'); at += 5 * 3_600_000) instants.push(at);
      for (const night of ['2026-03-28T22:00:00Z', '2026-10-24T22:00:00Z']) for (let i = 0; i < 24; i += 1) instants.push(utc(night) + i * 15 * 60_000);
      for (const at of instants) {
        const local = toLocal(at, 'Europe/Berlin');
        const back = fromLocal(local.date, local.time, 'Europe/Berlin');
        if (back?.kind === 'ok') expect(back.at, `${local.date} ${local.time}`).to.equal(at);
        else if (back?.kind === 'ambiguous') expect([back.earlier, back.later], `${local.date} ${local.time}`).to.include(at);
        else expect.fail(`${new Date(at).toISOString()} read as ${local.date} ${local.time} did not come back`);
      }
    });
  });

  describe('isTimeZone', () => {
    it('accepts IANA names and UTC', () => {
      for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Almaty', 'Australia/Lord_Howe']) expect(isTimeZone(zone), zone).to.equal(true);
    });

    it('refuses unknown names, the empty string and overlong input', () => {
      for (const zone of ['', 'Mars/Olympus_Mons', 'Europe/Atlantis', 'not a zone', 'x'.repeat(65)]) expect(isTimeZone(zone), zone).to.equal(false);
    });
  });

  describe('offsetLabel', () => {
    it('writes offsets as UTC±HH:MM with a real minus sign', () => {
      expect(offsetLabel(120)).to.equal('UTC+02:00');
      expect(offsetLabel(0)).to.equal('UTC+00:00');
      expect(offsetLabel(330)).to.equal('UTC+05:30');
      expect(offsetLabel(-240)).to.equal('UTC−04:00');
    });
  });
});
