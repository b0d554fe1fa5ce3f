/** CJK and full-width characters: about 1 em wide, and a line may break between any two of them
 * (as the browser does for Chinese with `word-break: normal`) */
export const fullWidthChar = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]/;

/**
 * A text's width in ems, roughly: CJK (and full-width) characters ≈ 1, the rest ≈ 0.58, a little
 * over a bold Latin letter's average, so a text sized by it (`95cqw / ems`) fits its room rather
 * than being cut. Never below 2, so a one-letter name does not grow past its size cap's reach.
 */
export function textEms(text: string): number {
  let n = 0;
  for (const ch of text) n += fullWidthChar.test(ch) ? 1 : 0.58;
  return Math.max(2, n);
}
