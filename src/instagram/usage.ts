// Meta's usage headers: percentages of the allowance used; throttling starts at 100.
export interface Usage {
  /** Highest percentage across X-App-Usage and X-Business-Use-Case-Usage. */
  percent: number | undefined;
  /** estimated_time_to_regain_access, in minutes, when Instagram gave one. */
  regainAccessMinutes: number | undefined;
}

function numbers(value: unknown): number[] {
  if (typeof value !== 'object' || value === null) return [];
  return ['call_count', 'total_cputime', 'total_time']
    .map((k) => (value as Record<string, unknown>)[k])
    .filter((v): v is number => typeof v === 'number');
}

function parseJson(text: string | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function parseUsage(headers: Headers): Usage {
  const percents: number[] = [];
  let regain: number | undefined;
  percents.push(...numbers(parseJson(headers.get('x-app-usage'))));
  const buc = parseJson(headers.get('x-business-use-case-usage'));
  if (typeof buc === 'object' && buc !== null) {
    for (const entries of Object.values(buc)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries as unknown[]) {
        percents.push(...numbers(entry));
        const minutes = (entry as Record<string, unknown>)['estimated_time_to_regain_access'];
        if (typeof minutes === 'number' && minutes > 0) regain = Math.max(regain ?? 0, minutes);
      }
    }
  }
  return { percent: percents.length > 0 ? Math.max(...percents) : undefined, regainAccessMinutes: regain };
}
