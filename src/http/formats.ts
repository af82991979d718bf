// Dates and numbers for templates. An Intl formatter costs far more to make than to use, and a
// long table asked for a new one in every cell; these keep one per language and set of options.
const MAX_FORMATTERS = 500;
const dates = new Map<string, Intl.DateTimeFormat>();
const numbers = new Map<string, Intl.NumberFormat>();

function cached<F>(cache: Map<string, F>, key: string, make: () => F): F {
  let formatter = cache.get(key);
  if (!formatter) {
    if (cache.size >= MAX_FORMATTERS) cache.clear();
    formatter = make();
    cache.set(key, formatter);
  }
  return formatter;
}

export function dateText(lang: string, at: number | Date, options: Intl.DateTimeFormatOptions): string {
  return cached(dates, lang + JSON.stringify(options), () => new Intl.DateTimeFormat(lang, options)).format(at);
}

export function numberText(lang: string, value: number, options: Intl.NumberFormatOptions = {}): string {
  return cached(numbers, lang + JSON.stringify(options), () => new Intl.NumberFormat(lang, options)).format(value);
}
