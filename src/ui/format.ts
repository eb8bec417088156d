/** Small formatting helpers for the page. */

/** 83.4 → "1:23". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** 44100 → "44.1 kHz". */
export function khz(rate: number): string {
  return `${Number((rate / 1000).toFixed(rate % 100 === 0 ? 1 : 3))} kHz`;
}

/** A gain as decibels for a label: 0.25 → "−12 dB", 0 → "−∞ dB". */
export function decibels(gain: number): string {
  if (gain <= 0) return '−∞ dB';
  const db = 20 * Math.log10(gain);
  const r = Math.round(db);
  return r === 0 ? '0 dB' : `${r < 0 ? '−' : '+'}${Math.abs(r)} dB`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MB`;
}

/** A speed against real time: 183.2 → "183×", 1.24 → "1.2×", 0.36 → "0.36×". */
export function timesRealTime(speed: number): string {
  return `${speed >= 10 ? speed.toFixed(0) : speed >= 1 ? speed.toFixed(1) : speed.toFixed(2)}×`;
}
