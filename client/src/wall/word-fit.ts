/**
 * Fitting a label's words to its tile on the wall (README "Text size"). A label wraps only
 * between words ("Agents / available"), Chinese between characters. A single word wider than the
 * tile ("Occupancy" on a 15-tile board) first shrinks the label's font, never below the wall's
 * least text size (20 px at 1080p); only a word that does not fit even at that size is broken,
 * with a visible hyphen, at a syllable ("Occu-pancy", "Utiliza-tion"), never anywhere
 * ("Occupan / cy", as `overflow-wrap: anywhere` did). Figures (digits) are never hyphenated.
 *
 * The pure part (`fitLabel`) works on widths measured by the caller at one font size (`measure`,
 * text width in px at `nominalPx`; widths scale with the font size). `labelFit` measures with a
 * canvas in the label's own font, for the wall's Svelte components.
 */

import { fullWidthChar } from './text-ems.ts';

export interface FitInput {
  /** the label as written (no soft hyphens) */
  text: string;
  /** the width the label's lines have (px) */
  available: number;
  /** the label's own font size (px) */
  nominalPx: number;
  /** the least size the label may shrink to (px): the wall's least text size */
  minPx: number;
  /** width (px) of a piece of text at `nominalPx` */
  measure: (text: string) => number;
}

export interface FitResult {
  /** the font size to use (px): `nominalPx` unless a word did not fit */
  fontPx: number;
  /** the label with U+00AD (soft hyphen) where a word too wide for a line at `fontPx` is broken */
  text: string;
  /** the words broken, as shown ("Occu-pancy") */
  hyphenated: string[];
}

export const softHyphen = '\u00ad';

/** a piece of a word only letters are in: one with a digit is a figure and never hyphenated */
const lettersOnly = /^[A-Za-z\u00c0-\u024f]+$/;

/**
 * Syllables of the English words of the wall's labels (metric registry names, the 智能服务 row),
 * as a dictionary hyphenates them; other words get `syllableBreaks`' rule.
 */
const knownWords: Record<string, string> = {
  abandon: 'a-ban-don',
  abandoned: 'a-ban-doned',
  abandons: 'a-ban-dons',
  agents: 'a-gents',
  answer: 'an-swer',
  answered: 'an-swered',
  arrivals: 'ar-riv-als',
  available: 'a-vail-a-ble',
  average: 'av-er-age',
  contact: 'con-tact',
  diversion: 'di-ver-sion',
  intelligent: 'in-tel-li-gent',
  longest: 'long-est',
  occupancy: 'oc-cu-pan-cy',
  offered: 'of-fered',
  ratings: 'rat-ings',
  rating: 'rat-ing',
  recognition: 'rec-og-ni-tion',
  resolution: 'res-o-lu-tion',
  robot: 'ro-bot',
  satisfaction: 'sat-is-fac-tion',
  service: 'ser-vice',
  success: 'suc-cess',
  transfer: 'trans-fer',
  transferred: 'trans-ferred',
  utilization: 'u-ti-li-za-tion',
  waiting: 'wait-ing',
};

/** letters kept before the first break and after the last (TeX's English minimums: 2 and 3) */
const leftMin = 2;
const rightMin = 3;
const vowels = /[aeiouyàáâäèéêëìíîïòóôöùúûü]/i;
/** consonant pairs that stay together ("ch", "th", "ck", …) */
const digraphs = new Set(['ch', 'ck', 'gh', 'ph', 'qu', 'sh', 'th', 'wh']);

/**
 * Where a word may be hyphenated: indices i (break between word[i-1] and word[i]), keeping at
 * least two letters before and three after. A known word takes its dictionary syllables;
 * another the usual rule: a single consonant between vowels starts the next syllable
 * ("U-ti-li-za-tion"), two consonants between vowels are split between them ("Oc-cu-pan-cy")
 * unless they are a digraph. No break point in a word with anything but letters.
 */
export function syllableBreaks(word: string): number[] {
  if (!lettersOnly.test(word)) return [];
  const known = knownWords[word.toLowerCase()];
  const points: number[] = [];
  if (known && known.replaceAll('-', '') === word.toLowerCase()) {
    let at = 0;
    for (const syllable of known.split('-').slice(0, -1)) {
      at += syllable.length;
      points.push(at);
    }
  } else {
    const isVowel = (k: number) => vowels.test(word[k]!) && !(k === 0 && /y/i.test(word[k]!));
    for (let i = 1; i < word.length - 1; i++) {
      const vcv = isVowel(i - 1) && !isVowel(i) && isVowel(i + 1);
      const vccv = i >= 2 && isVowel(i - 2) && !isVowel(i - 1) && !isVowel(i) && isVowel(i + 1) && !digraphs.has(word.slice(i - 1, i + 1).toLowerCase());
      if (vcv || vccv) points.push(i);
    }
  }
  return points.filter((i) => i >= leftMin && i <= word.length - rightMin);
}

/** A label split into the pieces a line may not break inside: words (with a hyphen or dash they
 * end in), runs of spaces, and single Chinese characters. */
export function unbreakablePieces(text: string): string[] {
  const out: string[] = [];
  for (const token of text.split(/(\s+)/)) {
    if (!token) continue;
    if (/^\s+$/.test(token)) {
      out.push(token);
      continue;
    }
    // a line may break after a hyphen, a dash or a slash, and around every Chinese character
    let piece = '';
    for (const ch of token) {
      if (fullWidthChar.test(ch)) {
        if (piece) out.push(piece);
        out.push(ch);
        piece = '';
        continue;
      }
      piece += ch;
      if (/[-‐–—/]/.test(ch)) {
        out.push(piece);
        piece = '';
      }
    }
    if (piece) out.push(piece);
  }
  return out;
}

/**
 * Where to break `word` (too wide for a line of `available` px) so that every line fits: from
 * its start, the last syllable break whose piece and hyphen fit, again for the rest. Only when no
 * syllable piece fits (a line narrower than any syllable) is it broken between letters, at the
 * last one that fits. `width` measures at the size in use.
 */
export function chooseBreaks(word: string, available: number, width: (text: string) => number): number[] {
  const syllables = syllableBreaks(word);
  if (!lettersOnly.test(word)) return [];
  const chosen: number[] = [];
  let start = 0;
  while (width(word.slice(start)) > available) {
    const fits = (q: number) => width(`${word.slice(start, q)}-`) <= available;
    let next = [...syllables].reverse().find((q) => q > start && q <= word.length - rightMin && fits(q));
    if (next === undefined) {
      // no syllable fits the line: the last letter that does (at least one per line)
      next = start + 1;
      for (let q = start + 2; q < word.length; q++) if (fits(q)) next = q;
    }
    chosen.push(next);
    start = next;
  }
  return chosen;
}

/**
 * The font size and the text of a label so that it fits `available` px, wrapping only between
 * words: unchanged when its widest word fits; else the font shrinks until that word fits, to
 * `minPx` at the least; a word still too wide at `minPx` is hyphenated (`chooseBreaks`).
 */
export function fitLabel({ text, available, nominalPx, minPx, measure }: FitInput): FitResult {
  const pieces = unbreakablePieces(text);
  const words = pieces.filter((p) => !/^\s+$/.test(p));
  const widest = Math.max(0, ...words.map((w) => measure(w)));
  if (available <= 0 || widest <= available || nominalPx <= 0) return { fontPx: nominalPx, text, hyphenated: [] };
  const least = Math.min(minPx, nominalPx);
  // the size at which the widest word just fits, in tenths of a pixel, rounded down
  const fontPx = Math.max(least, Math.floor((nominalPx * available * 10) / widest) / 10);
  const width = (s: string) => (measure(s) * fontPx) / nominalPx;
  if (widest * (fontPx / nominalPx) <= available) return { fontPx, text, hyphenated: [] };
  const hyphenated: string[] = [];
  const out = pieces.map((piece) => {
    if (width(piece) <= available) return piece;
    // the letters of a piece, without the hyphen or dash it may end in
    const [, word = piece, tail = ''] = /^(.*?)([-‐–—/]*)$/.exec(piece) ?? [];
    const breaks = chooseBreaks(word, available, width);
    if (!breaks.length) return piece;
    let shown = '';
    let withHyphens = '';
    let from = 0;
    for (const q of breaks) {
      shown += `${word.slice(from, q)}-`;
      withHyphens += `${word.slice(from, q)}${softHyphen}`;
      from = q;
    }
    hyphenated.push(`${shown}${word.slice(from)}`);
    return `${withHyphens}${word.slice(from)}${tail}`;
  });
  return { fontPx, text: out.join(''), hyphenated };
}

// ---------------------------------------------------------------------------------------------
// In the browser: measuring with a canvas in the label's font.

let canvasContext: CanvasRenderingContext2D | null | undefined;

/** the wall's least text size (px): 1.86 units of the 16:9 picture's height (20 px at 1080p) */
export function wallLeastTextPx(): number {
  return 1.86 * Math.min(innerHeight / 100, (innerWidth * 0.5625) / 100);
}

/**
 * `fitLabel` for a label element as laid out: its width (the box's content width), its font as
 * computed at `scale` 1 (the caller sets `font-size: calc(<size> * var(--fit-scale))`), measured on
 * a canvas. `scale`: the factor in force now (the computed size is divided by it).
 */
export function labelFit(el: HTMLElement, text: string, available: number, scale: number): FitResult & { scale: number } {
  canvasContext ??= document.createElement('canvas').getContext('2d');
  const style = getComputedStyle(el);
  const nominalPx = parseFloat(style.fontSize) / (scale || 1);
  const ctx = canvasContext;
  if (!ctx || !Number.isFinite(nominalPx) || nominalPx <= 0) return { fontPx: nominalPx, text, hyphenated: [], scale: 1 };
  ctx.font = `${style.fontStyle} ${style.fontWeight} ${nominalPx}px ${style.fontFamily}`;
  // a pixel to spare: the canvas and the page may round a glyph's width differently
  const fit = fitLabel({ text, available: available - 1, nominalPx, minPx: wallLeastTextPx(), measure: (s) => ctx.measureText(s).width });
  return { ...fit, scale: fit.fontPx / nominalPx };
}
