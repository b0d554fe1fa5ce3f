import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Lines of a file, streamed (readline handles \n and \r\n; a trailing newline adds no line). */
export async function* fileLines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
  }
}

/** Lines of an in-memory text, for tests and small inputs. */
export async function* textLines(text: string): AsyncGenerator<string> {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) yield line;
}
