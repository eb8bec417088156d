/**
 * The descriptor of the STFT frame kernel (wasm/assembly/stft.ts): an i32 table in wasm memory
 * whose slots hold the sizes and the byte offsets of the kernel's buffers, and the f64 block it
 * points to. Declared once for both sides: src/core/signal/stft-wasm.ts fills the table,
 * wasm/assembly/stft.ts reads it. Only `export const NAME = integer;` lines, so that the file is
 * TypeScript and AssemblyScript (i32 constants) alike.
 */

// i32 slots
export const N = 0; // FFT size
export const H = 1; // hop
export const M = 2; // bins, N/2 + 1
export const MP = 3; // bins padded to a multiple of 4
export const C = 4; // channels, 1 or 2
export const WIN = 5; // analysis window (N)
export const SYN = 6; // synthesis window / N (N)
export const FRAME0 = 7; // newest N samples of each channel
export const FRAME1 = 8;
export const RE = 9; // FFT work (N each)
export const IM = 10;
export const TWR = 11; // twiddles (N each)
export const TWI = 12;
export const REV = 13; // bit reversal, i32 (N)
export const AR = 14; // half spectra of channels 0 (A) and 1 (B), mp each
export const AI = 15;
export const BR = 16;
export const BI = 17;
export const MAG = 18; // normalised mid magnitudes (mp): the network's input
export const MASK = 19; // voice mask (mp)
export const ACC0 = 20; // overlap-add accumulators (N each)
export const ACC1 = 21;
export const OUT0 = 22; // finished samples (H each)
export const OUT1 = 23;
export const F64 = 24; // the f64 block below
export const VOICE = 25; // the network's voice magnitudes o (mp)
export const ACCOMP = 26; // the network's accompaniment magnitudes U s (mp)
export const COUNT = 27;

// The f64 block: the input level tracker's state (src/core/signal/level.ts, the same arithmetic)
// and the mask's power and residual weight.
export const F_POWER = 0; // Σ (w·mid)² of the last frame
export const F_BETA = 1; // the tracker's forgetting factor β
export const F_SCALE = 2; // spectrum scale 1/√Σw²
export const F_SUM = 3; // running sum
export const F_WEIGHT = 4; // running weight
export const F_GAIN = 5; // the last gain (incl. the scale)
export const F_GATE = 6; // silence gate
export const F_MASK_POWER = 7; // p of the soft mask vᵖ / (vᵖ + lᵖ)
export const F_RESIDUAL = 8; // β of its voice estimate v = max(o, x − β·l); 0: v = o
export const F_COUNT = 9;
