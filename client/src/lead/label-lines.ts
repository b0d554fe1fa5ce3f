/**
 * Where a column label of the console's queue table may wrap. The table has ~30 columns, so on a
 * laptop each column is about as narrow as its widest unbreakable piece of label; left to the
 * browser, a Chinese label then breaks between any two characters (人/工/进/线/量, one per line).
 * Instead a label is cut into at most `maxPieces` pieces, each kept on one line (white-space:
 * nowrap), the label wrapping only between them:
 * - Chinese: words (Intl.Segmenter), a lone character joining its neighbour (人工|进线量,
 *   机器人|问题|解决率, 话后|处理|座席), so no line holds a single character;
 * - other text: words, and after a hyphen (IVR self-|service|rate).
 * While there are more pieces than `maxPieces`, the two adjacent ones shortest together merge.
 * Joined, the pieces' texts give back the label (`space`: a space goes before the piece).
 */
export interface LabelPiece {
  text: string;
  space: boolean;
}

const han = /\p{Script=Han}/u;
const segmenters = new Map<string, Intl.Segmenter | null>();

function words(label: string, locale: string): string[] {
  if (!segmenters.has(locale)) segmenters.set(locale, typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(locale, { granularity: 'word' }) : null);
  const seg = segmenters.get(locale);
  // without a segmenter, pairs of characters
  if (!seg) return label.match(/[\s\S]{1,2}/g) ?? [];
  return [...seg.segment(label)].map((s) => s.segment);
}

/** the characters of a piece as the user sees them (a space does not count) */
const length = (p: LabelPiece) => [...p.text].length;

export function labelPieces(label: string, locale: string, maxPieces = 3): LabelPiece[] {
  let pieces: LabelPiece[] = [];
  if (han.test(label)) {
    let space = false;
    for (const w of words(label, locale.startsWith('zh') ? locale : 'zh-CN')) {
      if (/^\s+$/.test(w)) {
        space = true;
        continue;
      }
      pieces.push({ text: w, space });
      space = false;
    }
    // a run of single characters is one piece (进|线|量 → 进线量); a character left alone joins
    // the piece before it (解决|率 → 解决率), or after it at the start (短|放弃 → 短放弃)
    const runs: LabelPiece[] = [];
    for (const p of pieces) {
      const prev = runs.at(-1);
      if (prev && !p.space && [...p.text].length === 1 && [...prev.text].length === 1) prev.text += p.text;
      else runs.push({ ...p });
    }
    const joined: LabelPiece[] = [];
    for (let i = 0; i < runs.length; i++) {
      const p = runs[i]!;
      const prev = joined.at(-1);
      if ([...p.text].length === 1 && prev && !p.space) prev.text += p.text;
      else if ([...p.text].length === 1 && !prev && runs[i + 1] && !runs[i + 1]!.space) runs[i + 1] = { text: p.text + runs[i + 1]!.text, space: p.space };
      else joined.push(p);
    }
    pieces = joined;
  } else {
    for (const [i, w] of label.split(/\s+/).filter(Boolean).entries()) {
      w.split(/(?<=-)(?=.)/).forEach((part, j) => pieces.push({ text: part, space: i > 0 && j === 0 }));
    }
  }
  while (pieces.length > maxPieces) {
    let best = 0;
    for (let i = 1; i < pieces.length - 1; i++) {
      if (length(pieces[i]!) + length(pieces[i + 1]!) < length(pieces[best]!) + length(pieces[best + 1]!)) best = i;
    }
    const a = pieces[best]!;
    const b = pieces[best + 1]!;
    pieces.splice(best, 2, { text: `${a.text}${b.space ? ' ' : ''}${b.text}`, space: a.space });
  }
  return pieces;
}
