/**
 * The descriptor of the structured encoder kernel (wasm/assembly/encoder.ts): an i32 table in wasm
 * memory whose slots hold the model's sizes and the byte offsets of its arrays and work vectors.
 * Declared once for both sides: src/core/network/encoder-wasm.ts fills the table (the layout is
 * described there; its matrices are packed by the kernel's row blocks, so a "columns" slot below
 * names what a matrix holds, not how it lies), wasm/assembly/encoder.ts reads it. Only
 * `export const NAME = integer;` lines, so that the file is TypeScript and AssemblyScript (i32
 * constants) alike.
 */

export const M = 0;
export const Q = 1;
export const T = 2;
export const RW = 3;
export const RH = 4;
export const NONNEG = 5;
export const MP = 6;
export const QP = 7;
export const RWP = 8;
export const RHP = 9;
export const X = 10; // input frame (mp)
export const VOICE = 11; // o (mp)
export const ACCOMP = 12; // U s (mp)
export const SV = 13; // b_s (qp) followed by the low-rank code v (max(rwp, rhp))
export const BO = 14; // b_o (mp)
export const ZS = 15; // z_s (qp)
export const ZO = 16; // z_o (mp)
export const DS = 17; // d_s (qp)
export const TMP = 18; // 4 floats
export const OFF = 19; // i32 list (m + q + max(rw, rh) entries)
export const VAL = 20; // f32 list (same)
export const BIN = 21; // [Ws; Qw] columns (qp + rwp) for each of the m bins
export const WO = 22; // wo (mp)
export const PW = 23; // Pw columns (mp) × rw
export const U = 24; // U columns (mp) × q
export const LAYERS = 32; // per layer l: LAYER_SLOTS slots from LAYERS + LAYER_SLOTS·l

// The slots of a layer: [Hso; Qh] columns (qp + rhp) for the m bins, then [Hss; 0] columns for the
// q atoms; [Hos | Ph] columns (mp) × (q + rh); hoo (mp); thresholds [t_s (qp); t_o (mp)] (every
// layer, T of them; the others T − 1).
export const L_BS = 0;
export const L_BO = 1;
export const L_HOO = 2;
export const L_T = 3;
export const LAYER_SLOTS = 4;
